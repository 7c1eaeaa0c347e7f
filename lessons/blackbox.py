# %% [markdown]
# # The black box: Husky vs Wolf in miniature
#
# Slide section "The black-box problem". Ribeiro et al. (2016) trained a classifier to tell huskies
# from wolves; it scored well, and LIME showed why: it had learned "snow in the background means
# wolf", because in the training photos every wolf stood in snow. Accuracy on data with the same
# accident cannot reveal this; an explanation can.
#
# Here the accident is built in: a "wolf" (a grey triangle) always stands on bright snow and a
# "husky" (a grey circle) on dark grass (minidl.datasets.make_husky_wolf). A LeNet-5 learns it and
# scores perfectly on test images made the same way — and fails on images where the backgrounds are
# swapped. Grad-CAM and LIME show that its evidence lies in the background. Trained on images whose
# background is random, the same network has to look at the animal instead.
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons blackbox`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

from lessons.figures import save_figure
from lessons.settings import lesson_settings
from lessons.trained_models import HUSKY_WOLF_EPOCHS, TwoClassLogOdds, train_lenet, trained_husky_wolf_lenet
from lessons.training import predict
from minidl.datasets import HUSKY_WOLF_CLASSES, make_husky_wolf
from minidl.metrics import accuracy
from minidl.nn import Module
from minidl.viz import image_grid, lime_overlay, overlay_heatmap
from minidl.xai import GradCAM, LimeImageExplainer, grid_segments

settings = lesson_settings("blackbox")

CELL = 4           # LIME superpixels of 4×4 pixels
HIDE_GREY = 0.5    # hidden superpixels turn grey: neither snow nor grass


def lime_weight_on_animal(model: Module, images: np.ndarray, masks: np.ndarray,
                          num_samples: int) -> tuple[float, float]:
    """Mean share of LIME's positive weight on superpixels that touch the animal, and those
    superpixels' share of all superpixels (what a model blind to the animal would still give)."""
    segments = grid_segments(*images.shape[2:], CELL)
    shares, areas = [], []
    for image, mask in zip(images, masks):
        explanation = LimeImageExplainer().explain(image, lambda batch: predict(model, batch), cell_size=CELL,
                                                   hide_color=HIDE_GREY, num_samples=num_samples, seed=0)
        touches = np.array([mask[segments == k].any() for k in range(segments.max() + 1)])
        positive = np.maximum(explanation.coef, 0.0)
        shares.append(positive[touches].sum() / max(positive.sum(), 1e-12))
        areas.append(touches.mean())
    return float(np.mean(shares)), float(np.mean(areas))


# %%
n_train, n_test = (200, 60) if settings.quick else (2000, 300)
epochs = 2 if settings.quick else HUSKY_WOLF_EPOCHS


# %% [markdown]
# ## 1. The data: the training set's accident
# %%
train_x, train_y, _ = make_husky_wolf(n_train, background="confounded", seed=0)
same_x, same_y, _ = make_husky_wolf(n_test, background="confounded", seed=1)
swapped_x, swapped_y, swapped_masks = make_husky_wolf(n_test, background="swapped", seed=2)
print(f"{n_train} training images: every wolf (triangle) on snow, every husky (circle) on grass")
fig = image_grid(np.concatenate([train_x[:6, 0], swapped_x[:6, 0]]), columns=6,
                 titles=[f"train: {HUSKY_WOLF_CLASSES[k]}" for k in train_y[:6]]
                 + [f"swapped: {HUSKY_WOLF_CLASSES[k]}" for k in swapped_y[:6]],
                 suptitle="Top: training images (wolf on snow, husky on grass). Bottom: backgrounds swapped",
                 cell_inches=1.7)
save_figure(fig, settings.out_dir / "husky_wolf_data.png")


# %% [markdown]
# ## 2. A CNN that scores perfectly — on data with the same accident
# %%
model = trained_husky_wolf_lenet(settings.quick)  # LeNet-5, 2 outputs, trained on exactly these training images
same_accuracy = accuracy(predict(model, same_x), same_y)
swapped_accuracy = accuracy(predict(model, swapped_x), swapped_y)
print(f"test accuracy, backgrounds as in training: {same_accuracy:.1%}")
print(f"test accuracy, backgrounds swapped:        {swapped_accuracy:.1%}")


# %% [markdown]
# ## 3. Opening the box: Grad-CAM and LIME on swapped images
# Grad-CAM explains the log-odds y_wolf − y_husky at the last convolution (after its ReLU):
# with two classes the network may decide by lowering the other class's score, and the
# log-odds carries that evidence too. LIME hides superpixels with grey, so that hiding snow
# removes the snow.
# %%
shown = swapped_x[:4]
cams = GradCAM(TwoClassLogOdds(model), "model.features.4")(shown)
predicted = predict(model, shown).argmax(axis=1)
fig, axes = plt.subplots(3, 4, figsize=(10, 8))
for column in range(4):
    axes[0, column].imshow(shown[column, 0], cmap="gray", vmin=0, vmax=1)
    axes[0, column].set(xticks=[], yticks=[], title=f"a {HUSKY_WOLF_CLASSES[swapped_y[column]]}, "
                                                    f"called {HUSKY_WOLF_CLASSES[predicted[column]]}")
    overlay_heatmap(axes[1, column], shown[column], cams[column], "Grad-CAM of the log-odds")
    explanation = LimeImageExplainer().explain(shown[column], lambda batch: predict(model, batch), cell_size=CELL,
                                               hide_color=HIDE_GREY, num_samples=300 if settings.quick else 1000,
                                               seed=0)
    lime_overlay(axes[2, column], shown[column], explanation.segments, explanation.mask(num_features=8),
                 "LIME: 8 strongest superpixels")
fig.suptitle("The shortcut model on swapped backgrounds: its evidence is the background")
fig.tight_layout()
save_figure(fig, settings.out_dir / "shortcut_explanations.png")
samples = 200 if settings.quick else 500
count = 4 if settings.quick else 20
shortcut_share, animal_area = lime_weight_on_animal(model, swapped_x[:count], swapped_masks[:count], samples)
print(f"LIME: {shortcut_share:.0%} of the positive weight lies on superpixels touching the animal, "
      f"which make up {animal_area:.0%} of the superpixels")


# %% [markdown]
# ## 4. Break the accident: train on random backgrounds
# %%
random_x, random_y, _ = make_husky_wolf(n_train, background="random", seed=3)
fixed = train_lenet(random_x, random_y, 2, epochs)
fixed_same = accuracy(predict(fixed, same_x), same_y)
fixed_swapped = accuracy(predict(fixed, swapped_x), swapped_y)
fixed_share, _ = lime_weight_on_animal(fixed, swapped_x[:count], swapped_masks[:count], samples)
print(f"trained on random backgrounds: {fixed_same:.1%} (as in training) and {fixed_swapped:.1%} (swapped); "
      f"LIME puts {fixed_share:.0%} of its positive weight on the animal")
fixed_cams = GradCAM(TwoClassLogOdds(fixed), "model.features.4")(shown)
fig, axes = plt.subplots(1, 4, figsize=(10, 3))
fixed_predicted = predict(fixed, shown).argmax(axis=1)
for column in range(4):
    overlay_heatmap(axes[column], shown[column], fixed_cams[column],
                    f"called {HUSKY_WOLF_CLASSES[fixed_predicted[column]]}")
fig.suptitle("Model trained on random backgrounds, Grad-CAM of the log-odds: a wolf's evidence is its corners;\n"
             "a husky is the absence of corners, and Grad-CAM (its ReLU keeps only evidence for) shows nothing")
fig.tight_layout()
save_figure(fig, settings.out_dir / "fixed_model_gradcam.png")

print(f"\nWhat we saw: {same_accuracy:.0%} accuracy on test data with the training set's accident, "
      f"{swapped_accuracy:.0%} once the backgrounds are swapped; Grad-CAM lights up the snow and grass, and "
      f"LIME gives the animal {shortcut_share:.0%} of its weight. Accuracy could not tell us; the explanations "
      "could. Without the accident the same network reaches "
      f"{fixed_swapped:.0%} on the swapped images.")
