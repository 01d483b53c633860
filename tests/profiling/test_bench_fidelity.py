"""`bench fidelity`'s verdicts: the exact-copy target and tables whose own rows collide."""

from apps.profiling.bench_fidelity import _line


def _figures(**changes):
    figures = {
        "quality": 0.95,
        "pair_trends": 0.9,
        "exact_copy_rate": 0.0,
        "holdout_copy_rate": 0.0,
        "sample_distinct_share": 1.0,
        "dcr_synthetic": 0.05,
        "dcr_holdout": 0.04,
    }
    return {**figures, **changes}


def test_copies_of_a_table_whose_rows_do_not_collide_are_held_to_the_target():
    line = _line("t", "synthhub", _figures(exact_copy_rate=0.02, holdout_copy_rate=0.002))
    assert "copies MISSED" in line and "holdout 0.20%" in line
    assert "targets met" in _line("t", "synthhub", _figures(exact_copy_rate=0.0005, holdout_copy_rate=0.002))


def test_a_table_whose_own_rows_collide_is_held_to_its_own_rate():
    line = _line("t", "synthhub", _figures(exact_copy_rate=0.16, holdout_copy_rate=0.168, sample_distinct_share=0.84))
    assert "copies target n/a (the sample's own rows collide: holdout 16.80% >= 1%)" in line
    assert "MISSED" not in line and "distinct sample rows 84.0%" in line
    line = _line("t", "synthhub", _figures(exact_copy_rate=0.3, holdout_copy_rate=0.168))
    assert "copies above the sample's own rate MISSED" in line
