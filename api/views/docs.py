"""The schema's readers, Swagger UI and ReDoc, from our own static files (drf-spectacular-
sidecar): the site's Content-Security-Policy allows only this origin.

- Swagger UI runs under the site's policy as it is: its start-up script is a separate
  response (``SpectacularSwaggerSplitView``), not inline code.
- ReDoc writes its styles at run time (styled-components): this page's policy adds a nonce
  (django-csp) to ``style-src``, and ``static/api/redoc-init.js`` starts ReDoc with that
  nonce (read from a meta tag: no inline script), which ReDoc puts on the ``<style>``
  elements it writes. Two styles are written while its script loads, before it knows the
  nonce (an empty one and its scrollbar's): allowed by their SHA-256 (sidecar's ReDoc
  bundle; a new bundle with other styles fails tests/browser/test_api_docs.py). Its search
  runs in a worker made from a ``blob:`` URL. All of this on this page only. ReDoc's footer
  links to its publisher with a logo from their site: the policy blocks it (no request
  leaves).
"""

from csp.constants import NONCE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


REDOC_LOAD_STYLES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
]


@method_decorator(
    csp_update({"style-src": [NONCE, *REDOC_LOAD_STYLES], "worker-src": ["blob:"]}),
    name="dispatch",
)
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
    url_name = "api:schema"
