"""What comes back after sending: provider events, their authentication, the open pixel."""
