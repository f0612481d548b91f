"""The OpenAPI schema: the error body every operation may answer, on every operation."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code stable (snake_case), pour les programmes.")
    message = serializers.CharField(help_text="Message en français, à montrer tel quel.")
    field = serializers.CharField(required=False, help_text="L'attribut concerné, s'il y en a un.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Les messages de chaque attribut refusé.",
    )


class FiliereAutoSchema(AutoSchema):
    """Operations are described by their French ``summary``; the views' docstrings are notes
    for developers (in English) and stay out of the public schema."""

    def get_description(self) -> str:
        return ""


ERROR_STATUSES = {
    "400": "Données invalides, ou refus (code et message).",
    "401": "Non identifié, ou jeton inconnu, expiré ou révoqué.",
    "403": "Rôle ou portée du jeton insuffisants.",
    "404": "Introuvable (ou d'une autre organisation).",
    "405": "Méthode non permise.",
    "406": "Format de réponse non disponible.",
    "409": "Refusé dans l'état actuel, ou changé entre-temps.",
    "413": "Requête trop grosse.",
    "415": "Type de contenu non accepté.",
    "429": "Trop de requêtes.",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_error_responses(result, generator, request, public):
    """Every operation may answer each error status with the Error body."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["code", "message"],
    }
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status_code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status_code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
    return result
