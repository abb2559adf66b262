"""The product's URLs plus a bare view answering 204: the floor of a request through the same
server, middleware and Python process. Used only by the benchmark."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from porto.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


urlpatterns = [path("bench/bare/", bare), *product_urlpatterns]
