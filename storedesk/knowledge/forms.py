from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, Category
from storedesk.knowledge.services.articles import MAX_BODY_CHARS, MAX_TITLE_CHARS


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARS, required=False)
    slug = forms.CharField(
        label=_("URL slug"),
        max_length=100,
        required=False,
        help_text=_("Leave empty to keep the current one (or make one from the title)."),
    )
    body_markdown = forms.CharField(
        label=_("Body (Markdown)"),
        max_length=MAX_BODY_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "kb-editor-body"}),
    )


class ArticleCreateForm(TranslationForm):
    brand = forms.ModelChoiceField(label=_("Store"), queryset=Brand.objects.all())
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)

    def __init__(self, *args: Any, brand_ids: list[int] | None, **kwargs: Any) -> None:
        """`brand_ids`: the stores the agent may write for (None: all), see
        `access.brand_ids_for_agent`; another store's id is an invalid choice."""
        super().__init__(*args, **kwargs)
        if brand_ids is not None:
            brand_field = self.fields["brand"]
            assert isinstance(brand_field, forms.ModelChoiceField)
            brand_field.queryset = Brand.objects.filter(pk__in=brand_ids)


class ArticleChoiceField(forms.ModelMultipleChoiceField[Article]):
    def label_from_instance(self, obj: Article) -> str:
        titles = [t.title for t in obj.translations.all()]
        return f"#{obj.pk} {titles[0] if titles else ''}"


class ArticleSettingsForm(forms.Form):
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas."), max_length=500
    )
    related = ArticleChoiceField(
        label=_("Related articles"), queryset=Article.objects.none(), required=False
    )

    def __init__(self, *args: Any, article: Article, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        related_field = self.fields["related"]
        assert isinstance(category_field, forms.ModelChoiceField)
        assert isinstance(related_field, forms.ModelMultipleChoiceField)
        category_field.queryset = Category.objects.filter(brand_id=article.brand_id)
        related_field.queryset = (
            Article.objects.filter(brand_id=article.brand_id)
            .exclude(pk=article.pk)
            .prefetch_related("translations")
        )

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].split(",") if t.strip()]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
