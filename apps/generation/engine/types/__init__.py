"""Column types of the schema language: one module per type, each declaring its registry entry.

See base.ColumnType for what an entry holds and registry for how they are collected.
"""
