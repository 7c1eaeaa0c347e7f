"""The figure helpers draw compared panels on the scale they are asked for."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from minidl.viz import deletion_insertion_scatter, explanation_grid, image_grid, lime_overlay  # noqa: E402


def test_image_grid_scales_each_panel_alone_unless_given_one_range():
    images = np.stack([np.full((3, 3), 0.2), np.full((3, 3), 0.8)])
    images[:, 0, 0] = 0.5
    own = [ax.images[0].get_clim() for ax in image_grid(images, columns=2).axes]
    assert own == [(0.2, 0.5), (0.5, 0.8)]
    fig = image_grid(images, columns=2, value_range=(0, 1), colorbar=True)
    assert [ax.images[0].get_clim() for ax in fig.axes[:2]] == [(0, 1), (0, 1)]
    assert len(fig.axes) == 3  # the two panels and the colour bar
    plt.close("all")


def test_image_grid_refuses_a_colour_bar_for_panels_on_their_own_scales():
    with pytest.raises(ValueError, match="one scale"):
        image_grid(np.zeros((2, 3, 3)), columns=2, colorbar=True)


def test_lime_overlay_keeps_grey_levels_within_the_given_range():
    image = np.full((1, 4, 4), 0.5)
    image[0, 0, 0] = 0.6
    fig, (own, fixed) = plt.subplots(1, 2)
    segments, mask = np.zeros((4, 4), dtype=np.int64), np.zeros((4, 4), dtype=np.int64)
    lime_overlay(own, image, segments, mask)
    lime_overlay(fixed, image, segments, mask, value_range=(0, 1))
    # Stretched to its own range a mid grey of 0.5 turns black; on (0, 1) it stays 0.5 (times 0.8 for the tints).
    assert own.images[0].get_array()[-1, -1, 0] == pytest.approx(0.0)
    assert fixed.images[0].get_array()[-1, -1, 0] == pytest.approx(0.4)
    plt.close(fig)


def test_explanation_grid_titles_each_map_panel():
    images = np.zeros((2, 1, 4, 4))
    fig = explanation_grid(
        images, {"A": np.zeros((2, 4, 4)), "B": np.ones((2, 4, 4))}, map_titles={"B": ["first", "second"]}
    )
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["", "", "", "", "first", "second"]
    plt.close(fig)


def test_colorbar_beside_stands_next_to_the_last_panel_of_its_row_at_its_height():
    from minidl.viz import colorbar_beside

    # A wide figure for four square images: fig.colorbar(ax=row) would put the bar at its right edge.
    fig, axes = plt.subplots(1, 4, figsize=(16, 3), layout="constrained")
    for ax in axes:
        shown = ax.imshow(np.zeros((4, 4)), vmin=0, vmax=1)
    bar = colorbar_beside(shown, axes, "heat")
    fig.canvas.draw()
    panel, beside = axes[-1].get_window_extent(), bar.ax.get_window_extent()
    assert 0 < beside.x0 - panel.x1 < 0.1 * panel.width
    assert (beside.y0, beside.y1) == pytest.approx((panel.y0, panel.y1), abs=1)
    assert bar.ax.get_ylabel() == "heat"
    plt.close(fig)


def test_a_scale_whose_top_is_zero_says_there_is_no_heat_anywhere():
    from lessons.heat import one_scale_colorbar

    fig, axes = plt.subplots(1, 2, layout="constrained")
    shown = [ax.imshow(np.zeros((4, 4)), vmin=0, vmax=1) for ax in axes][-1]
    assert one_scale_colorbar(shown, axes, 0.42, "Grad-CAM heat").ax.get_ylabel() == "Grad-CAM heat (1 = 0.42 unscaled)"
    empty = one_scale_colorbar(shown, axes, 0.0, "Grad-CAM heat")
    assert empty.ax.get_ylabel().startswith("no heat anywhere") and "1 = 0" not in empty.ax.get_ylabel()
    assert list(empty.get_ticks()) == [0]
    plt.close(fig)


def test_deletion_insertion_scatter_puts_each_ranking_at_its_means_with_standard_errors():
    fig, ax = plt.subplots()
    areas = {"LIME": ([0.1, 0.2, 0.3], [0.9, 0.8, 0.7]), "random": ([0.6, 0.6, 0.9], [0.5, 0.5, 0.5])}
    deletion_insertion_scatter(ax, areas, {"random": {"fmt": "x", "color": "C3"}})
    lime, random = ax.containers
    sem = 0.1 / np.sqrt(3)  # std (ddof 1) of 0.1, 0.2, 0.3 over √3
    np.testing.assert_allclose(lime.lines[0].get_xydata(), [[0.2, 0.8]])
    (x_bar,), (y_bar,) = (bars.get_segments() for bars in lime.lines[2])
    np.testing.assert_allclose(x_bar, [[0.2 - sem, 0.8], [0.2 + sem, 0.8]])
    np.testing.assert_allclose(y_bar, [[0.2, 0.8 - sem], [0.2, 0.8 + sem]])
    assert random.lines[0].get_marker() == "x"
    np.testing.assert_allclose(random.lines[0].get_xydata(), [[0.7, 0.5]])
    assert [text.get_text() for text in ax.legend().get_texts()] == ["LIME", "random"]
    assert ax.get_xlabel() == "deletion AUC (lower is better)"
    plt.close(fig)
