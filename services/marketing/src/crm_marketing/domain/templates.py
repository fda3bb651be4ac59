"""Campaign templates: Jinja2 in the sandboxed environment (a template cannot reach Python's
internals), personalized from the contact copy. A template that does not parse, or names a
variable nobody gives, is a ValidationFailed naming its field.

The links of the HTML body are tracked: each literal http(s) `href` of the template is one of
its links, the only places a click redirect may send anyone to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from crm_platform.errors import FieldViolation, ValidationFailed
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from crm_marketing.domain.campaigns import Personalization, Template

_HREF = re.compile(r"""href\s*=\s*(["'])(https?://[^"'\s<>{}]+)\1""", re.IGNORECASE)
FIELD = "campaign.template"
SAMPLE = Personalization("Ada Lovelace", "ada@example.com", "Beijing", "Beijing")

MAX_REPEAT = 10_000  # the most a template may repeat a text or list by `*`
MAX_EXPONENT = 64


class _Sandbox(SandboxedEnvironment):
    """The sandbox, and no `"x" * 10**9`: a template cannot make the service build a huge
    value (loops are already bounded by the sandbox's range limit)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"an exponent above {MAX_EXPONENT}")
        if operator == "*":
            counts = [n for n in (left, right) if isinstance(n, int)]
            repeated = any(isinstance(v, (str, list, tuple)) for v in (left, right))
            if repeated and any(n > MAX_REPEAT for n in counts):
                raise SecurityError(f"a repetition above {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


_text_env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
_html_env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    html_body: str
    text_body: str


def links_of(template: Template) -> tuple[str, ...]:
    """The template's own links, in order, each once."""
    return tuple(dict.fromkeys(match.group(2) for match in _HREF.finditer(template.html_body)))


def check(template: Template) -> None:
    """Renders with a sample contact: what would fail for every recipient fails now."""
    render(template, SAMPLE, unsubscribe_url="https://example.com/unsubscribe")


def render(
    template: Template,
    person: Personalization,
    *,
    unsubscribe_url: str,
    tracked_link: Callable[[str], str] | None = None,
    pixel_url: str | None = None,
) -> Rendered:
    values = {
        "name": person.name, "email": person.email, "region": person.region,
        "city": person.city, "unsubscribe_url": unsubscribe_url,
    }  # fmt: skip
    violations: list[FieldViolation] = []
    subject = _render(_text_env, template.subject, values, "subject", violations)
    html = _render(_html_env, template.html_body, values, "html_body", violations)
    text = _render(_text_env, template.text_body, values, "text_body", violations)
    if violations:
        raise ValidationFailed(violations)
    if "\n" in subject or "\r" in subject:
        raise ValidationFailed(FieldViolation(f"{FIELD}.subject", "must be one line"))
    if html and tracked_link is not None:
        own = set(links_of(template))
        html = _HREF.sub(
            lambda m: (
                f"href={m.group(1)}{tracked_link(m.group(2))}{m.group(1)}"
                if m.group(2) in own
                else m.group(0)
            ),
            html,
        )
    if html and pixel_url is not None:
        pixel = f'<img src="{pixel_url}" width="1" height="1" alt="">'
        html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
    return Rendered(subject.strip(), html, text)


def _render(
    env: _Sandbox,
    source: str,
    values: Mapping[str, str],
    name: str,
    violations: list[FieldViolation],
) -> str:
    if not source:
        return ""
    try:
        return env.from_string(source).render(values)
    except jinja2.TemplateSyntaxError as exc:
        violations.append(FieldViolation(f"{FIELD}.{name}", f"line {exc.lineno}: {exc.message}"))
    except jinja2.UndefinedError as exc:
        violations.append(FieldViolation(f"{FIELD}.{name}", f"{exc.message}"))
    except jinja2.TemplateError as exc:  # the sandbox refusing an attribute, among others
        violations.append(FieldViolation(f"{FIELD}.{name}", str(exc)))
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # what the template's own expressions raise ({{ 1 / 0 }}, {{ "a" + 1 }})
        violations.append(FieldViolation(f"{FIELD}.{name}", f"cannot be rendered: {exc}"))
    return ""
