"""What every API view shares: the history origin, keyset pages, looking up by id."""

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView

from parc.selectors import keyset_page

from .. import origin
from ..permissions import token_of


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"


class ApiView(GenericAPIView):
    """Writes made while the view runs are stamped with the token's name (api/origin.py)."""

    write_scopes: tuple = ()
    agent_methods: tuple = ()
    # DRF reads a JSON body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check:
    # the API refuses a larger body before reading it.
    max_body_bytes: int = 5 * 1024 * 1024

    def dispatch(self, request, *args, **kwargs):
        self._origin_reset = None
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._origin_reset is not None:
                origin.leave(self._origin_reset)

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes:
            raise BodyTooLarge(
                _("Requête trop grosse (%(mb)s Mo au plus).")
                % {"mb": self.max_body_bytes // (1024 * 1024)}
            )
        super().initial(request, *args, **kwargs)
        self._origin_reset = origin.enter(token_of(request))

    @property
    def token(self):
        return token_of(self.request)

    def validated(self, serializer_class, data, **kwargs) -> dict:
        serializer = serializer_class(data=data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


MAX_PAGE_SIZE = 100


class PageQuery(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62, help_text=_("Page suivante : le `next`.")
    )
    before = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62, help_text=_("Page précédente.")
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate(self, attrs):
        if attrs.get("after") and attrs.get("before"):
            raise serializers.ValidationError(_("Donnez « after » ou « before », pas les deux."))
        return attrs


PAGE_PARAMETERS = [
    OpenApiParameter("after", OpenApiTypes.INT, description="id après lequel lire (page suivante)"),
    OpenApiParameter("before", OpenApiTypes.INT, description="id avant lequel lire"),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 à 100 (25 par défaut)"),
]


def page_response(view, queryset, serializer_class, *, query: dict) -> dict:
    """One keyset page of ``queryset`` (ordered by descending id), as the API returns it."""
    size = query.get("page_size") or settings.PAGE_SIZE
    page = keyset_page(queryset, size=size, after=query.get("after"), before=query.get("before"))
    request = view.request

    def link(**cursor):
        params = request.query_params.copy()
        params.pop("after", None)
        params.pop("before", None)
        params.update(cursor)
        return request.build_absolute_uri(request.path + "?" + params.urlencode())

    return {
        "count": page.count,
        "count_is_capped": page.count_is_capped,
        "next": link(after=page.next_after) if page.next_after else None,
        "previous": link(before=page.previous_before) if page.previous_before else None,
        "results": serializer_class(
            page.rows, many=True, context=view.get_serializer_context()
        ).data,
    }


def paged(serializer_class, name: str):
    """The schema of a keyset page of ``serializer_class``."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "count_is_capped": serializers.BooleanField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def int_or_404(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**62:
        raise Http404
    return number
