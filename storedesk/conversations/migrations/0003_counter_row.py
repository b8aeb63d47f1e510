from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# Conversation numbers start at 1001, shown as #1001.
FIRST_NUMBER_MINUS_ONE = 1000


def create_counter(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    counter_model = apps.get_model("conversations", "ConversationCounter")
    counter_model.objects.get_or_create(pk=1, defaults={"value": FIRST_NUMBER_MINUS_ONE})


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_search_index")]
    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
