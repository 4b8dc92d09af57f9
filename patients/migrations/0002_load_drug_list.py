"""Loads the controlled drug list. A frozen copy, so that later edits to patients/drugs.py come as new
migrations rather than rewriting history."""

from django.db import migrations

DRUGS = [
    ("thalidomide", "imid"),
    ("lenalidomide", "imid"),
    ("pomalidomide", "imid"),
    ("iberdomide", "celmod"),
    ("mezigdomide", "celmod"),
    ("bortezomib", "proteasome_inhibitor"),
    ("carfilzomib", "proteasome_inhibitor"),
    ("ixazomib", "proteasome_inhibitor"),
    ("daratumumab", "anti_cd38"),
    ("isatuximab", "anti_cd38"),
    ("belantamab mafodotin", "bcma_directed"),
    ("teclistamab", "bispecific"),
    ("elranatamab", "bispecific"),
    ("linvoseltamab", "bispecific"),
    ("talquetamab", "bispecific"),
    ("idecabtagene vicleucel", "car_t"),
    ("ciltacabtagene autoleucel", "car_t"),
    ("dexamethasone", "steroid"),
    ("prednisone", "steroid"),
    ("melphalan", "alkylator_asct"),
    ("high-dose melphalan with ASCT", "alkylator_asct"),
    ("cyclophosphamide", "alkylator_asct"),
    ("bendamustine", "alkylator_asct"),
    ("elotuzumab", "other"),
    ("selinexor", "other"),
    ("venetoclax", "other"),
    ("panobinostat", "other"),
]


def load(apps, schema_editor):
    Drug = apps.get_model("patients", "Drug")
    for name, drug_class in DRUGS:
        Drug.objects.update_or_create(name=name, defaults={"drug_class": drug_class})


def unload(apps, schema_editor):
    apps.get_model("patients", "Drug").objects.filter(name__in=[name for name, _ in DRUGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
