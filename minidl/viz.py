"""matplotlib helpers for the lessons: small matrices drawn with their numbers written in.

Imported on demand (`import minidl.viz`), so that `import minidl` does not load matplotlib.
"""

from __future__ import annotations

import numpy as np


def annotated_matrix(
    ax,
    values: np.ndarray,
    title: str,
    fmt: str = "{:g}",
    cmap: str = "Blues",
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> None:
    """Draw a 2-D array as a heat map with each entry's value printed in its cell."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"annotated_matrix: expected a 2-D array, got shape {values.shape}")
    image = ax.imshow(values, cmap=cmap)
    middle = (np.nanmax(values) + np.nanmin(values)) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(
            col,
            row,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=8 if values.size > 60 else 10,
            color="white" if value > middle else "black",
        )
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return image


def image_grid(
    images: np.ndarray,
    columns: int,
    titles: list[str] | None = None,
    suptitle: str | None = None,
    cmap: str = "gray",
    cell_inches: float = 1.3,
    symmetric: bool = False,
    value_range: tuple[float, float] | None = None,
    colorbar: bool = False,
):
    """A figure with one small image per panel, `columns` per row; images (K, H, W).

    Each panel is scaled to its own range, unless symmetric=True, which centres one colour scale
    shared by all panels on 0 (for filters and signed maps: red positive, blue negative), or
    value_range=(low, high), one scale for all panels (e.g. (0, 1) for images whose grey levels
    are compared). colorbar=True draws that shared scale beside the grid.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"image_grid: expected images of shape (K, H, W), got {images.shape}")
    if colorbar and not (symmetric or value_range):
        raise ValueError("image_grid: colorbar=True needs one scale for all panels: symmetric=True or a value_range")
    rows = -(-len(images) // columns)
    # Each row a little taller than its images, so that panel titles never run into the row above.
    fig, axes = plt.subplots(
        rows, columns, figsize=(columns * cell_inches, rows * (cell_inches + 0.3) + 0.5), squeeze=False
    )
    limit = float(np.abs(images).max()) or 1.0
    scale = (
        {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
        if symmetric
        else {"cmap": cmap, "vmin": value_range[0], "vmax": value_range[1]}
        if value_range
        else {"cmap": cmap}
    )
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            shown = ax.imshow(images[index], **scale)
            if titles is not None:
                ax.set_title(titles[index], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    if colorbar:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
    return fig


def colorbar_beside(mappable, row, label: str | None = None):
    """A colour bar for the panels `row` (the axes of one row of a figure, on one colour scale), as
    tall as they are and right beside the last of them; mappable: what imshow returned for one.

    fig.colorbar(ax=row) puts the bar at the edge of the grid, far from the last panel when images
    of a fixed aspect leave room in their cells; an inset of the last panel stays beside it, and
    constrained layout makes room for it and its label. The row's images are drawn at the top of
    their cells: centred, they move between constrained layout's passes once the inset takes room,
    and their titles can run into the figure's title."""
    row = list(row)
    for panel in row:
        panel.set_anchor("N")
    bar = row[-1].figure.colorbar(mappable, cax=row[-1].inset_axes([1.04, 0.0, 0.06, 1.0]))
    if label:
        bar.set_label(label, fontsize=9)
    return bar


def _grey(image: np.ndarray) -> np.ndarray:
    """(H, W) for display from (H, W), (1, H, W) or (C, H, W) (channel mean)."""
    image = np.asarray(image)
    return image if image.ndim == 2 else image.mean(axis=0)


def overlay_heatmap(
    ax, image: np.ndarray, heat: np.ndarray, title: str | None = None, alpha: float = 0.5, cmap: str = "jet"
):
    """The image in grey with a heat map (H, W) in [0, 1] drawn over it, the way Grad-CAM is shown."""
    ax.imshow(_grey(image), cmap="gray")
    shown = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=9)
    return shown


def superpixel_boundaries(segments: np.ndarray) -> np.ndarray:
    """True on pixels whose right or lower neighbour belongs to another superpixel."""
    edges = np.zeros(segments.shape, dtype=bool)
    edges[:, :-1] |= segments[:, :-1] != segments[:, 1:]
    edges[:-1, :] |= segments[:-1, :] != segments[1:, :]
    return edges


def lime_overlay(
    ax,
    image: np.ndarray,
    segments: np.ndarray,
    mask: np.ndarray,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
) -> None:
    """The image in grey, superpixels that support the class tinted green (mask 1), those against
    it red (mask −1), thin yellow superpixel boundaries. Small images are enlarged (nearest
    neighbour) first, so that a boundary is thin beside a superpixel. The grey levels are
    stretched to the image's own range, or to value_range=(low, high) when given."""
    grey = _grey(image).astype(np.float64)
    scale = max(1, 224 // max(grey.shape))
    enlarge = lambda a: np.kron(a, np.ones((scale, scale), dtype=a.dtype))  # noqa: E731
    grey, segments, mask = enlarge(grey), enlarge(np.asarray(segments)), enlarge(np.asarray(mask))
    low, high = value_range if value_range else (grey.min(), grey.max())
    grey = np.clip((grey - low) / ((high - low) or 1.0), 0.0, 1.0)
    rgb = np.repeat(grey[..., None], 3, axis=2) * 0.8
    rgb[mask == 1] = 0.45 * rgb[mask == 1] + 0.55 * np.array([0.1, 0.85, 0.1])
    rgb[mask == -1] = 0.45 * rgb[mask == -1] + 0.55 * np.array([0.9, 0.1, 0.1])
    rgb[superpixel_boundaries(segments)] = [1.0, 0.85, 0.0]
    ax.imshow(rgb)
    ax.set(xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=9)


def explanation_grid(
    images: np.ndarray,
    maps: dict[str, np.ndarray],
    image_titles: list[str] | None = None,
    suptitle: str | None = None,
    cell_inches: float = 1.7,
    map_titles: dict[str, list[str]] | None = None,
):
    """A figure with one column per image: the image on top, then one row per method with its
    heat map (N, H, W) in [0, 1] over the image; the methods' names label the rows. map_titles
    gives a method's panels their own titles (e.g. each panel's scale, or a measured share)."""
    import matplotlib.pyplot as plt

    rows = 1 + len(maps)
    fig, axes = plt.subplots(
        rows, len(images), figsize=(len(images) * cell_inches + 0.8, rows * cell_inches + 0.7), squeeze=False
    )
    for column, image in enumerate(images):
        axes[0, column].imshow(_grey(image), cmap="gray")
        axes[0, column].set(xticks=[], yticks=[])
        if image_titles:
            axes[0, column].set_title(image_titles[column], fontsize=9)
        for row, (name, heat) in enumerate(maps.items(), start=1):
            overlay_heatmap(
                axes[row, column],
                image,
                heat[column],
                map_titles[name][column] if map_titles and name in map_titles else None,
            )
    axes[0, 0].set_ylabel("image", fontsize=9)
    for row, name in enumerate(maps, start=1):
        axes[row, 0].set_ylabel(name, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def deletion_insertion_scatter(ax, areas: dict, styles: dict | None = None) -> None:
    """One point per ranking of the pixels: its mean deletion AUC (x, lower is better) against its
    mean insertion AUC (y, higher is better) over the images, with error bars of one standard error
    of the mean, std / √n. areas: name → (deletion AUCs, insertion AUCs), one per image; styles:
    name → keyword arguments of errorbar (fmt, color), "o" by default."""
    for name, (deletion, insertion) in areas.items():
        deletion, insertion = np.asarray(deletion, np.float64), np.asarray(insertion, np.float64)
        ax.errorbar(
            deletion.mean(),
            insertion.mean(),
            xerr=deletion.std(ddof=1) / np.sqrt(len(deletion)),
            yerr=insertion.std(ddof=1) / np.sqrt(len(insertion)),
            markersize=7,
            capsize=3,
            label=name,
            **({"fmt": "o"} | (styles or {}).get(name, {})),
        )
    ax.set(xlabel="deletion AUC (lower is better)", ylabel="insertion AUC (higher is better)")
    ax.grid(alpha=0.3)
