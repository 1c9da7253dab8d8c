"""A sweep's variants: the grid's product, a sweep file's list, their identity and the sweep's id."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tradesim.errors import ConfigError
from tradesim.overrides import parse_value
from tradesim.sweep.grid import Variant, file_variants, grid_variants, split_values, sweep_id


def test_the_grid_is_the_cartesian_product_first_axis_slowest() -> None:
    axes, variants = grid_variants(["optimiser.cost_multiplier=10,25,50", "capital=100000,5e6"])
    assert axes == {"optimiser.cost_multiplier": [10, 25, 50], "capital": [100000, 5e6]}
    assert [v.sets for v in variants] == [
        ["optimiser.cost_multiplier=10", "capital=100000"], ["optimiser.cost_multiplier=10", "capital=5000000.0"],
        ["optimiser.cost_multiplier=25", "capital=100000"], ["optimiser.cost_multiplier=25", "capital=5000000.0"],
        ["optimiser.cost_multiplier=50", "capital=100000"], ["optimiser.cost_multiplier=50", "capital=5000000.0"]]
    assert variants[1].label == "cost_multiplier=10 capital=5000000.0"
    assert variants[1].key == '{"capital":5000000.0,"optimiser.cost_multiplier":10}'


def test_values_are_toml_and_commas_inside_brackets_or_quotes_stay() -> None:
    assert split_values('10, [1,2], "a,b", {x = 1, y = 2}') == ["10", "[1,2]", '"a,b"', "{x = 1, y = 2}"]
    _, variants = grid_variants(['strategy.params={span = 8, floor = 0.1},{span = 16, floor = 0.1}',
                                 "optimiser.method=dynamic,'round'", "fills.timing=next"])
    assert [v.overrides for v in variants][:2] == [
        (("strategy.params", {"span": 8, "floor": 0.1}), ("optimiser.method", "dynamic"), ("fills.timing", "next")),
        (("strategy.params", {"span": 8, "floor": 0.1}), ("optimiser.method", "round"), ("fills.timing", "next"))]
    assert variants[0].sets[0] == 'strategy.params={"span" = 8, "floor" = 0.1}'
    assert variants[0].sets[1] == 'optimiser.method="dynamic"'


@pytest.mark.parametrize("spec, message", [
    ("capital", "expected KEY=V1,V2"),
    ("=1,2", "expected KEY=V1,V2"),
    ("optimiser..x=1", "expected KEY=V1,V2"),
    ("capital=1,,2", "an empty value"),
    ("capital=1e5,1e5", "listed twice"),
])
def test_a_bad_axis_is_one_line_naming_it(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        grid_variants([spec])
    assert "\n" not in str(caught.value)


def test_a_key_on_two_axes_is_refused() -> None:
    with pytest.raises(ConfigError, match="--grid capital: the key is given twice"):
        grid_variants(["capital=1", "capital=2"])


def test_a_sweep_file_lists_variants_with_dotted_or_nested_keys(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "sweep.toml"
    path.write_text('[[variant]]\n"optimiser.cost_multiplier" = 25\ncapital = 100_000\n\n'
                    "[[variant]]\noptimiser = { cost_multiplier = 50, buffer_fraction = 0.1 }\n\n"
                    "[[variant]]\nstrategy.params = { span = 8 }\n")
    variants = file_variants(path)
    assert [v.overrides for v in variants] == [
        (("optimiser.cost_multiplier", 25), ("capital", 100000)),
        (("optimiser.cost_multiplier", 50), ("optimiser.buffer_fraction", 0.1)),
        (("strategy.params", {"span": 8}),)]


@pytest.mark.parametrize("text, message", [
    ("", "no \\[\\[variant\\]\\] tables"),
    ("[[variant]]\n", "variant 1 sets nothing"),
    ("[grid]\nx = 1\n", "unknown table 'grid'"),
    ("[[variant]]\ncapital = 1\n[[variant]]\ncapital = 1\n", "listed twice"),
    ("[[variant]\n", "not valid TOML"),
])
def test_a_bad_sweep_file_names_the_file(tmp_path, text: str, message: str) -> None:  # noqa: ANN001
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"^{path}: .*{message}"):
        file_variants(path)


def test_the_sweep_id_depends_on_config_variants_and_ledger_not_their_order() -> None:
    _, a = grid_variants(["capital=1,2", "risk_target=0.1,0.2"])
    _, b = grid_variants(["risk_target=0.1,0.2", "capital=1,2"])
    assert sweep_id("{}", a, "summary") == sweep_id("{}", b, "summary")
    assert sweep_id("{}", a, "summary") != sweep_id("{}", a, "full")
    assert sweep_id("{}", a, "summary") != sweep_id('{"x":1}', a, "summary")
    assert sweep_id("{}", a, "summary") != sweep_id("{}", a[:3], "summary")
    assert sweep_id("{}", a, "summary").startswith("sw-")


toml_values = st.recursive(
    st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False), st.booleans(),
              st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@given(toml_values)
def test_a_value_round_trips_through_its_set_argument(value) -> None:  # noqa: ANN001
    """What the sweep hands to --set parses back to the value it swept."""
    variant = Variant((("k", value),))
    assert parse_value(variant.sets[0].partition("=")[2]) == value
