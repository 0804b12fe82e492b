"""HTTP-level protections: the secret key check, session cookies, security headers, proxies, local redirects."""
from __future__ import annotations

import functools
import re
from urllib.parse import unquote, urlsplit

from flask import Flask, Request, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# Placeholders that once shipped as defaults: a key anybody can read is no key.
KNOWN_KEYS = {"", "dev-only-change-me", "change-me", "secret"}
# Browsers drop these anywhere in a URL before they resolve it (tab, CR, LF) or at its ends (C0 and space).
_DROPPED = re.compile(r"[\t\r\n]")
_EDGES = "".join(map(chr, range(0x21)))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PUBLIC_PAGES = ("/feedback", "/rate", "/reviews", "/track")  # embeddable in the company site


class MissingSecretKey(RuntimeError):
    pass


def check_secret_key(app: Flask) -> None:
    """Refuse to run a real deployment with no secret key: every session cookie would be forgeable."""
    if app.debug or app.testing:
        return
    if str(app.config.get("SECRET_KEY") or "").strip() in KNOWN_KEYS:
        raise MissingSecretKey(
            "SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random string "
            f"(or write one to {app.instance_path}/secret_key; `make run` generates one for the demo).")


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request itself came over HTTPS, not only when configured.
    Its signing serializer is built once per set of keys rather than on every request (API calls included)."""

    def __init__(self) -> None:
        super().__init__()
        self._signing: tuple[tuple[object, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signing = self._signing
        if signing is None or signing[0] != keys:
            signing = self._signing = (keys, super().get_signing_serializer(app))
        return signing[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or _is_https(request)


def _is_https(req: Request) -> bool:
    try:
        return req.is_secure
    except RuntimeError:  # outside a request
        return False


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ))


def add_headers(response: Response) -> Response:
    """No inline script runs, nothing is sniffed, referrers stay on the site, and only the public forms may
    be framed, by the origins in FRAME_ANCESTORS. A header the view set already is kept (as `setdefault`
    would, which costs a raised and caught KeyError for every header not there yet)."""
    from flask import current_app

    public = request.path.rstrip("/") in PUBLIC_PAGES
    present = {name.lower() for name, _value in response.headers}
    for name, value in _headers(" ".join(current_app.config["FRAME_ANCESTORS"]) if public else None):
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


@functools.lru_cache(maxsize=16)
def _headers(public_origins: str | None) -> tuple[tuple[str, str], ...]:
    """The security headers of a public page (framed by `public_origins`), or of any other (None)."""
    if public_origins is None:
        return (("Content-Security-Policy", content_security_policy("'none'")), ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))
    return (("Content-Security-Policy", content_security_policy(f"'self' {public_origins}".strip())),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))


def local_target(target: str | None) -> str | None:
    """The same-site path a redirect may go to, judged as a browser reads it; None when it would leave the
    site (absolute, scheme-relative, backslashed, hidden behind tabs, control characters or encoded slashes)."""
    if not target:
        return None
    cleaned = _DROPPED.sub("", target).strip(_EDGES)
    if _CONTROL.search(cleaned) or "\\" in cleaned:
        return None
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    if unquote(cleaned).replace("\\", "/").startswith("//"):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return cleaned


def register(app: Flask) -> None:
    check_secret_key(app)
    app.session_interface = SessionCookies()
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.after_request(add_headers)
