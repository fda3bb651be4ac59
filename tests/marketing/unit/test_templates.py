"""Campaign templates: Jinja2 in the sandbox, personalized, HTML escaped; an error (a syntax
error, an unknown variable, Python's internals, a huge value) names the template's field; only
the template's own links are tracked."""

from __future__ import annotations

import pytest
from crm_marketing.domain.campaigns import Personalization, Template
from crm_marketing.domain.templates import check, links_of, render
from crm_platform.errors import ValidationFailed

ADA = Personalization("Ada <Lovelace>", "ada@example.com", "Beijing", "Haidian")


def test_a_message_is_personalized_and_its_html_escaped() -> None:
    rendered = render(
        Template("Hello {{ name }}", "<p>Hi {{ name }} in {{ city }}</p>", "Hi {{ name }}"),
        ADA, unsubscribe_url="https://x.example/u",
    )  # fmt: skip
    assert rendered.subject == "Hello Ada <Lovelace>"
    assert rendered.html_body == "<p>Hi Ada &lt;Lovelace&gt; in Haidian</p>"
    assert rendered.text_body == "Hi Ada <Lovelace>"


@pytest.mark.parametrize(
    ("template", "field"),
    [
        (Template("{{ name", "", ""), "campaign.template.subject"),
        (Template("Hi", "{{ nmae }}", ""), "campaign.template.html_body"),
        (Template("Hi", "", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
         "campaign.template.text_body"),
        (Template("{{ 'x' * 10**9 }}", "", ""), "campaign.template.subject"),
        (Template("Hi", "{{ ['x'] * 100000 }}", ""), "campaign.template.html_body"),
        (Template("Hi", "", "{{ 1 / 0 }}"), "campaign.template.text_body"),
    ],
)  # fmt: skip
def test_a_template_that_does_not_render_names_its_field(template: Template, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check(template)
    assert [v.field for v in refused.value.violations] == [field]


def test_only_the_templates_own_links_are_tracked_and_the_pixel_added() -> None:
    template = Template(
        "Hi",
        '<body><a href="https://shop.example/a">A</a> <a href="https://shop.example/a">again</a>'
        ' <a href="{{ unsubscribe_url }}">stop</a></body>',
    )
    assert links_of(template) == ("https://shop.example/a",)

    rendered = render(
        template, ADA, unsubscribe_url="https://crm.example/u/1",
        tracked_link=lambda url: f"https://crm.example/c?{len(url)}",
        pixel_url="https://crm.example/o/1",
    )  # fmt: skip

    assert rendered.html_body.count('href="https://crm.example/c?22"') == 2
    assert 'href="https://crm.example/u/1"' in rendered.html_body  # not a tracked link
    assert rendered.html_body.endswith('<img src="https://crm.example/o/1" width="1" height="1" '
                                       'alt=""></body>')  # fmt: skip
