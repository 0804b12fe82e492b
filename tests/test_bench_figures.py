"""The benches' percentiles: nearest rank, so a p99 of few samples is their worst, never a better one."""
import pytest

from bench.figures import percentile


def test_the_99th_percentile_of_ten_lags_is_the_worst() -> None:
    lags = [0.055, 0.061, 0.058, 0.092, 0.057, 0.056, 0.060, 0.059, 0.083, 0.054]
    assert percentile(lags, 0.99) == 0.092
    assert percentile(lags, 0.9) == 0.083
    assert percentile(lags, 0.5) == 0.058


def test_nearest_rank_on_hundreds_of_samples() -> None:
    samples = list(range(1, 401))[::-1]  # 400 … 1, unsorted on purpose
    assert percentile(samples, 0.99) == 396
    assert percentile(samples, 0.9) == 360
    assert percentile(range(1, 31), 0.9) == 27
    assert percentile(range(1, 1401), 0.9) == 1260
    assert percentile([7.0], 0.99) == 7.0


@pytest.mark.parametrize("values, fraction", [([], 0.5), ([1.0], 0), ([1.0], 1.5)])
def test_nonsense_is_refused(values: list[float], fraction: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, fraction)
