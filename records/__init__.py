"""Sandyk's records domain: nomenclature, cases, documents, retention, disposal and audit."""
