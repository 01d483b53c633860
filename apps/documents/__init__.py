"""Travel-document trust data of a dataset version: its validation report (verified with `cryptography`,
independently of the engine code that generated it) and its trust-service push mapping."""
