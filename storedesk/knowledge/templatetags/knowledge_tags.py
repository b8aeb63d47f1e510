from django import template

from storedesk.knowledge.models import Category

register = template.Library()


@register.filter
def name_for(category: Category, language: str) -> str:
    return category.name_for(language)
