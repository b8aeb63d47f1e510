"""Articles of a brand's knowledge base, their translations, revisions and files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from storedesk.brands.models import Brand
from storedesk.core.models import BaseModel
from storedesk.knowledge.enums import TranslationStatus, Visibility


class Category(BaseModel):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="kb_categories")
    slug = models.SlugField(_("slug"))
    # {language: name}; categories are short labels, a table per language would be overkill.
    names = models.JSONField(_("names"), default=dict)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "slug"], name="kb_category_slug_unique"),
        ]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.slug

    def name_for(self, language: str) -> str:
        names: dict[str, str] = self.names
        return (
            names.get(language)
            or names.get(self.brand.default_language)
            or next(iter(names.values()), self.slug)
        )


class Article(BaseModel):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="kb_articles")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles"
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    related = models.ManyToManyField("self", symmetrical=False, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    resolved_count = models.PositiveIntegerField(default=0)
    # Time-decayed usefulness scaled to a fixed epoch (services/usefulness.py), so that
    # ordering by the column equals ordering by today's decayed score.
    usefulness_ref = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-usefulness_ref", "id"]
        indexes = [models.Index(fields=["brand", "-usefulness_ref"], name="kb_article_useful")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return f"article {self.pk}"

    @property
    def is_internal(self) -> bool:
        return self.visibility == Visibility.INTERNAL


class ArticleTranslation(BaseModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    # Denormalised from the article: slugs are unique per brand and language, and search
    # filters by brand without a join.
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    body_markdown = models.TextField(_("body"), blank=True)
    body_html = models.TextField(blank=True)
    plain_text = models.TextField(blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TranslationStatus.choices,
        default=TranslationStatus.DRAFT,
    )
    published_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # True only for a published translation of a public article: the single flag every
    # customer-facing read filters on, kept in step by the services.
    is_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="kb_translation_language_unique"
            ),
            models.UniqueConstraint(
                fields=["brand", "language", "slug"], name="kb_translation_slug_unique"
            ),
        ]
        indexes = [models.Index(fields=["brand", "language", "is_public"], name="kb_tr_public")]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.status == TranslationStatus.PUBLISHED

    def get_absolute_url(self) -> str:
        return reverse(
            "knowledge_help:article",
            kwargs={
                "brand_slug": self.brand.slug,
                "language": self.language,
                "article_id": self.article_id,
                "slug": self.slug,
            },
        )


class ArticleRevision(models.Model):
    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="revisions"
    )
    title = models.CharField(max_length=300)
    body_markdown = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=TranslationStatus.choices)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"revision {self.pk} of {self.translation_id}"


class ArticleAttachment(BaseModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="knowledge/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def url(self) -> str:
        return reverse("knowledge_help:file", kwargs={"attachment_id": self.pk, "name": self.name})
