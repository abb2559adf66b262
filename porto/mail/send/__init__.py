"""One path from a send request to the outbox rows: the pop-up's defaults (``defaults``), the
limits of one email (``limits``), every check with the field it belongs to (``problems``)."""
