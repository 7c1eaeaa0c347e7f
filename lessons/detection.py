# %% [markdown]
# # Detection basics: IoU, grid confidence, non-maximum suppression
#
# Slide section "Image tasks: object detection". A detector such as YOLO (Redmon et al. 2016)
# divides the image into an S×S grid; each cell proposes boxes, and each box carries a confidence
# whose training target is Pr(object) · IoU(predicted box, true box). Intersection over union,
# IoU = |A ∩ B| / |A ∪ B|, says how well two boxes agree (1 is perfect, 0 is disjoint). Neighbouring
# cells propose overlapping boxes for the same object; non-maximum suppression keeps the most
# confident one and drops those that overlap it by more than a threshold.
#
# Here the image holds three shapes with known boxes; the "detector" is simulated (boxes jittered
# around the truth, with a made-up Pr(object)) so that every number can be followed by hand.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons detection`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.verdicts import detections_verdict
from minidl.datasets import shape_mask
from minidl.detection import box_iou, non_max_suppression

settings = lesson_settings("detection")

SIZE, GRID = 96, 4  # a 96×96 image, a 4×4 grid of 24-pixel cells
CONFIDENCE_THRESHOLD, NMS_THRESHOLD = 0.3, 0.5
OBJECTS = [("circle", (30.0, 28.0), 14.0), ("square", (62.0, 66.0), 16.0), ("triangle", (70.0, 22.0), 12.0)]


def scene() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The image, its true boxes (x1, y1, x2, y2) and their labels."""
    image = np.full((SIZE, SIZE), 0.1)
    boxes = []
    for kind, (row, column), radius in OBJECTS:
        mask = shape_mask(kind, SIZE, (row, column), radius)
        image[mask] = 0.9
        rows, columns = np.nonzero(mask)
        boxes.append([columns.min(), rows.min(), columns.max() + 1, rows.max() + 1])
    return image, np.array(boxes, dtype=np.float64), [kind for kind, _, _ in OBJECTS]


def simulated_predictions(truth: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two boxes per grid cell: (boxes, Pr(object), grid cell). A cell that holds an object's centre
    proposes boxes close to it with a high Pr(object); cells next to it propose looser boxes with a
    lower one; the other cells propose small stray boxes with a low one."""
    cell = SIZE / GRID
    centres = (truth[:, :2] + truth[:, 2:]) / 2
    boxes, probabilities, cells = [], [], []
    for gy in range(GRID):
        for gx in range(GRID):
            distance = np.max(np.abs(np.floor(centres / cell) - [gx, gy]), axis=1)
            nearest = int(np.argmin(distance))
            for _ in range(2):
                if distance[nearest] <= 1:
                    jitter = (2 if distance[nearest] == 0 else 6) * rng.standard_normal(4)
                    box = truth[nearest] + jitter
                    probability = rng.uniform(0.8, 0.95) if distance[nearest] == 0 else rng.uniform(0.3, 0.6)
                else:
                    corner = (np.array([gx, gy]) + rng.uniform(0, 0.5, 2)) * cell
                    box = np.concatenate([corner, corner + rng.uniform(6, 14, 2)])
                    probability = rng.uniform(0.02, 0.15)
                x1, y1, x2, y2 = np.clip(box, 0, SIZE)
                boxes.append([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
                probabilities.append(probability)
                cells.append((gy, gx))
    return np.array(boxes), np.array(probabilities), np.array(cells)


def draw_boxes(
    ax, boxes: np.ndarray, colours, labels=None, width: float = 1.5, style: str = "-", label_background: str = "black"
) -> None:
    from matplotlib.patches import Rectangle

    for index, (x1, y1, x2, y2) in enumerate(boxes):
        colour = colours[index] if isinstance(colours, (list, np.ndarray)) else colours
        ax.add_patch(
            Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=width, linestyle=style)
        )
        if labels is not None:  # above the box, on a patch of background, so that no edge runs through the text
            ax.text(
                x1,
                y1 - 1.5,
                labels[index],
                color=colour,
                fontsize=8,
                va="bottom",
                bbox={"facecolor": label_background, "alpha": 0.8, "edgecolor": "none", "pad": 1.5},
            )


# %% [markdown]
# ## 1. IoU by hand
# %%
reference = np.array([[10.0, 10.0, 50.0, 50.0]])
candidates = np.array(
    [[10.0, 10.0, 50.0, 50.0], [20.0, 20.0, 60.0, 60.0], [30.0, 10.0, 70.0, 50.0], [60.0, 60.0, 80.0, 80.0]]
)
ious = box_iou(reference, candidates)[0]
for box, iou in zip(candidates, ious):
    print(f"IoU({reference[0].astype(int).tolist()}, {box.astype(int).tolist()}) = {iou:.3f}")
print("e.g. the second: intersection 30·30 = 900, union 1600 + 1600 − 900 = 2300, IoU = 900/2300 = 0.391")


# %% [markdown]
# ## 2. The grid: every cell proposes boxes; confidence = Pr(object) · IoU with the truth
# %%
image, truth, names = scene()
boxes, probability, cells = simulated_predictions(truth, np.random.default_rng(0))
best_iou = box_iou(boxes, truth).max(axis=1)
confidence = probability * best_iou
print(
    f"\n{GRID}×{GRID} grid, 2 boxes per cell: {len(boxes)} proposals; "
    f"{np.sum(confidence > CONFIDENCE_THRESHOLD)} with confidence > {CONFIDENCE_THRESHOLD}"
)
top = np.argsort(-confidence)[:5]
print("cell     Pr(object)   IoU    confidence")
for index in top:
    cell = str(tuple(int(c) for c in cells[index]))
    print(f"{cell:<9}{probability[index]:>9.2f}{best_iou[index]:>8.2f}{confidence[index]:>12.3f}")


# %% [markdown]
# ## 3. Non-maximum suppression: one box per object
# %%
confident = np.flatnonzero(confidence > CONFIDENCE_THRESHOLD)
kept = confident[non_max_suppression(boxes[confident], confidence[confident], NMS_THRESHOLD)]
print(f"\nafter NMS at IoU {NMS_THRESHOLD}: {len(kept)} boxes (from {len(confident)})")
matches = box_iou(boxes[kept], truth)
for index, row in zip(kept, matches):
    print(
        f"  box {boxes[index].round(1).tolist()} -> {names[int(row.argmax())]}, IoU {row.max():.2f}, "
        f"confidence {confidence[index]:.2f}"
    )

fig, axes = plt.subplots(1, 3, figsize=(17, 5.8))
examples = axes[0]
examples.set(
    xlim=(0, 85),
    ylim=(85, 0),
    aspect="equal",
    title="IoU = |A ∩ B| / |A ∪ B|",
    xlabel="x (pixels)",
    ylabel="y (pixels)",
)
draw_boxes(examples, reference, "black", ["reference A"], width=2.5, label_background="white")
draw_boxes(
    examples,
    candidates[1:],
    ["tab:blue", "tab:orange", "tab:red"],
    [f"IoU {iou:.2f}" for iou in ious[1:]],
    style="--",
    label_background="white",
)
cmap = plt.get_cmap("viridis")
for ax, title in zip(
    axes[1:],
    (
        f"All {len(boxes)} proposals, coloured by confidence",
        f"Confidence > {CONFIDENCE_THRESHOLD}, then NMS (IoU {NMS_THRESHOLD})",
    ),
):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    for line in np.arange(1, GRID) * SIZE / GRID:
        ax.axhline(line - 0.5, color="white", linewidth=0.6, alpha=0.5)
        ax.axvline(line - 0.5, color="white", linewidth=0.6, alpha=0.5)
    ax.set(title=title, xticks=[], yticks=[])
order = np.argsort(confidence)  # most confident drawn last, on top
draw_boxes(axes[1], boxes[order], [cmap(c) for c in confidence[order] / confidence.max()])
draw_boxes(axes[2], truth, "white", width=1, style=":")
draw_boxes(
    axes[2],
    boxes[kept],
    "tab:orange",
    [f"{names[int(r.argmax())]} {confidence[i]:.2f}" for i, r in zip(kept, matches)],
    width=2,
)
axes[2].legend(
    handles=[
        Line2D([], [], color="tab:orange", linewidth=2, label="kept after NMS: class, confidence"),
        Line2D([], [], color="white", linewidth=1, linestyle=":", label="true object box"),
    ],
    loc="upper right",
    fontsize=8,
    facecolor="dimgray",
    labelcolor="white",
    framealpha=0.9,
)
mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, confidence.max()))
fig.colorbar(mappable, ax=axes[1], fraction=0.046, label="Pr(object) · IoU")
fig.tight_layout()
save_figure(fig, settings.out_dir / "detection.png")

on_objects = int(np.sum(best_iou[confident] >= 0.5))
print(
    f"\nWhat we saw: IoU scores how well two boxes agree; of the {len(confident)} proposals with confidence "
    f"Pr(object) · IoU > {CONFIDENCE_THRESHOLD}, {on_objects} overlap an object at IoU ≥ 0.5, and NMS keeps "
    f"{detections_verdict(matches)}."
)
