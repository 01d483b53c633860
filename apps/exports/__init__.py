"""Exports of generated datasets: file-format writers and their packaging."""
