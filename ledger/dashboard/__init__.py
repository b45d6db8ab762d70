"""The dashboard's read models that span capabilities: names beside ids, the attention list,
the audit and portfolio pages."""
