"""Patents saved or deleted one at a time (admin, services) are re-indexed after commit.

Bulk writers (the importer, services) send the catalogue's ``patents_changed`` with the ids they touched.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from listings.catalogue.models import Patent
from listings.catalogue.signals import patents_changed
from search.indexing import index_patents_on_commit, remove_patents_on_commit


@receiver(post_save, sender=Patent, dispatch_uid="search_patent_saved")
def _patent_saved(sender, instance: Patent, raw=False, **kwargs):
    if not raw:
        index_patents_on_commit([instance.pk])


@receiver(post_delete, sender=Patent, dispatch_uid="search_patent_deleted")
def _patent_deleted(sender, instance: Patent, **kwargs):
    remove_patents_on_commit([instance.pk])


@receiver(patents_changed, dispatch_uid="search_patents_changed")
def _patents_changed(sender, patent_ids, **kwargs):
    index_patents_on_commit(patent_ids)
