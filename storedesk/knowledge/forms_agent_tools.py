"""Input of the agent tools: content gaps, the quick panel, inserting an article."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from storedesk.brands.models import Brand
from storedesk.knowledge.deflection_enums import ArticleUseMode

PERIOD_DAYS = [(7, _("Last 7 days")), (30, _("Last 30 days")), (90, _("Last 90 days"))]


class GapsForm(forms.Form):
    """The store picker offers only `brands`: the stores whose questions the agent may read."""

    brand = forms.ModelChoiceField(
        queryset=Brand.objects.none(), required=False, empty_label=None, label=_("Store")
    )
    days = forms.TypedChoiceField(
        choices=PERIOD_DAYS, coerce=int, required=False, empty_value=None, label=_("Period")
    )

    def __init__(self, *args: Any, brands: Sequence[Brand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        brand_field = self.fields["brand"]
        assert isinstance(brand_field, forms.ModelChoiceField)
        brand_field.queryset = Brand.objects.filter(pk__in=[b.pk for b in brands]).order_by(
            "name", "pk"
        )


class QuickSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)
    brand = forms.ModelChoiceField(queryset=Brand.objects.all(), required=False)
    # The conversation whose reply box the panel inserts into, if the panel sits on one.
    conversation = forms.IntegerField(required=False, min_value=1)
    lang = forms.ChoiceField(choices=[("", ""), *settings.LANGUAGES], required=False)


class ArticleInsertForm(forms.Form):
    conversation = forms.IntegerField(min_value=1)
    mode = forms.ChoiceField(choices=ArticleUseMode.choices)
