"""Pydantic types and settings shared by every layer."""
