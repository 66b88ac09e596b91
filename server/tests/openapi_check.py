"""Validates an OpenAPI document (path in argv[1]) against the OpenAPI 3.1 specification with the
openapi-spec-validator package. Exits non-zero, naming the first problem, when it is invalid."""

import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator

with open(sys.argv[1], encoding="utf-8") as handle:
    document = json.load(handle)
OpenAPIV31SpecValidator(document).validate()
print(f"valid OpenAPI {document['openapi']} with {len(document['paths'])} paths")
