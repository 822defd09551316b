"""Cloud Function ``predict`` (HTTP, IAM-authenticated): a quote for one pitcher-game at any line.

Thin on purpose: parsing, errors and the lazily opened warehouse and champions live in
strikeouts.cloud.predict_http; the quote itself in strikeouts.runtime.quote.
"""

import functions_framework
from flask import Request

from strikeouts.cloud.predict_http import handle, service


@functions_framework.http
def predict(request: Request) -> tuple[str, int, dict[str, str]]:
    """Answer one request with the quote as JSON (400 naming a bad field)."""
    args = {key: request.args.getlist(key) for key in request.args}
    return handle(service, request.method, request.get_data(), args)
