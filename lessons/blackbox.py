# %% [markdown]
# # The black box: Husky vs Wolf in miniature
#
# Slide section "The black-box problem". Ribeiro et al. (2016) trained a classifier to tell huskies
# from wolves; it scored well, and LIME showed why: it had learned "snow in the background means
# wolf", because in the training photos every wolf stood in snow. Accuracy on data with the same
# accident cannot reveal this; an explanation can.
#
# Here the accident is built in: a "wolf" (a grey triangle) always stands on bright snow and a
# "husky" (a grey circle) on dark grass (minidl.datasets.make_husky_wolf). A LeNet-5 is trained on it and
# is tested on images made the same way and on images where the backgrounds are swapped; Grad-CAM
# and LIME then show where its evidence lies, measured as the share of each map on the animal
# against the animal's share of the image. Trained on images whose background is random, the same
# network has no shortcut to take: does it look at the animal instead?
#
# Run it as a notebook, cell by cell, or as a script: `python -m lessons blackbox`
# (`--quick` for a short run).

# %%

import matplotlib.pyplot as plt
import numpy as np

import minidl

from lessons.figures import save_figure
from lessons.heat import cam_heat, lime_heat, mean_share_with_heat, on_one_scale, one_scale_colorbar, share_inside
from lessons.log_odds_lime import HIDE_GREY, explain_with_lime
from lessons.settings import lesson_settings
from lessons.trained_models import (
    HUSKY_WOLF_EPOCHS,
    saved_model_path,
    swapped_caption,
    train_lenet,
    trained_husky_wolf_lenet,
)
from lessons.training import predict, probabilities
from lessons.verdicts import (
    QUICK_RUN_NOTE,
    biased_model_name,
    comparison_premise,
    heat_place,
    hiding_change_verdict,
    maps_location_verdict,
    maps_place,
    separation_verdict,
    shortcut_verdict,
)
from minidl.datasets import HUSKY_WOLF_CLASSES, make_husky_wolf
from minidl.metrics import accuracy
from minidl.viz import image_grid, lime_overlay, overlay_heatmap
from minidl.xai import GradCAM

settings = lesson_settings("blackbox")

CELL = 4  # LIME superpixels of 4×4 pixels
LAYER = "features.4"  # LeNet-5's last convolution (after its ReLU)
LOG_ODDS = "runner_up"  # Grad-CAM's contrast: y_c − y_other, the log-odds of the predicted class


def panel_heat(share: float, area: float, heat: np.ndarray) -> str:
    """One map's heat (H, W) in two lines for its panel's title: its share on an animal of `area`
    and where it lies (maps_place of a single map), or that it has none."""
    if not heat.any():
        return maps_place(share, area, 1, 1)
    return f"{share:.0%} of it on an animal of {area:.0%}:\n{maps_place(share, area, 0, 1)}"


# %%
n_train, n_test = (200, 60) if settings.quick else (2000, 300)
epochs = 2 if settings.quick else HUSKY_WOLF_EPOCHS
count = 4 if settings.quick else 20  # swapped test images explained and measured
lime_samples = 200 if settings.quick else 500


# %% [markdown]
# ## 1. The data: the training set's accident
# %%
train_x, train_y, _ = make_husky_wolf(n_train, background="confounded", seed=0)
same_x, same_y, _ = make_husky_wolf(n_test, background="confounded", seed=1)
swapped_x, swapped_y, swapped_masks = make_husky_wolf(n_test, background="swapped", seed=2)
print(f"{n_train} training images: every wolf (triangle) on snow, every husky (circle) on grass")
fig = image_grid(
    np.concatenate([train_x[:6, 0], swapped_x[:6, 0]]),
    columns=6,
    value_range=(0, 1),
    titles=[f"train: {HUSKY_WOLF_CLASSES[k]}" for k in train_y[:6]]
    + [f"swapped: {HUSKY_WOLF_CLASSES[k]}" for k in swapped_y[:6]],
    suptitle="Top: training images (wolf on snow, husky on grass). Bottom: backgrounds swapped\n"
    "(grey levels as they are: every animal is the same mid grey)",
    cell_inches=1.7,
)
save_figure(fig, settings.out_dir / "husky_wolf_data.png")


# %% [markdown]
# ## 2. A CNN tested on data with the same accident, and with the backgrounds swapped
# %%
model = trained_husky_wolf_lenet(settings.quick, settings.seed)  # LeNet-5, 2 outputs, on exactly these images
shortcut_weights = saved_model_path(settings, "blackbox", "lenet5_husky_wolf")  # for gradcam, lime, concepts
minidl.save(model.state_dict(), shortcut_weights)
print(f"weights saved to {shortcut_weights}")
same_accuracy = accuracy(predict(model, same_x), same_y)
swapped_accuracy = accuracy(predict(model, swapped_x), swapped_y)
print(f"test accuracy, backgrounds as in training: {same_accuracy:.1%}")
print(f"test accuracy, backgrounds swapped:        {swapped_accuracy:.1%}")
print(f"so the model {shortcut_verdict(same_accuracy, swapped_accuracy)}")
biased = biased_model_name(same_accuracy, swapped_accuracy)  # "the shortcut model" only if it took the shortcut
sureness = probabilities(model, swapped_x).max(axis=1)
print(
    f"its probability for its own answer on the swapped images: {np.median(sureness):.8f} (median), "
    f"{sureness.min():.8f} (lowest)"
)


# %% [markdown]
# ## 3. Opening the box: Grad-CAM and LIME on swapped images
# Both explain the log-odds y_wolf − y_husky of the predicted class. For Grad-CAM (at the last
# convolution, after its ReLU): with two classes the network may decide by lowering the other
# class's score, and the log-odds carries that evidence too. For LIME: the paper explains the
# class probability p, but when p sits as close to 1 as printed above, hiding superpixels either
# leaves p where it is or flips it once enough are hidden, a step that a linear model follows badly;
# the log-odds log(p / (1 − p)) changes with every hidden superpixel (the LIME lesson compares the
# two fits). LIME hides superpixels with grey, so that hiding snow removes the snow.
#
# Where does the heat lie? Each map's share of its mass on the animal, against the animal's share
# of the image: a map blind to what it shows would give about the area share. The Grad-CAM maps of
# one row share one scale from 0 (a weak map looks weak). A map that is 0 everywhere (Grad-CAM's
# ReLU can cut all of it) has no heat to place: it is left out of the means over the images.
# %%
masks = swapped_masks[:count]
result = GradCAM(model, LAYER).explain(swapped_x[:count], contrast=LOG_ODDS)
cam_maps = cam_heat(result.raw, *swapped_x.shape[2:])
cam_shares, animal_areas = share_inside(cam_maps, masks)
explanations = explain_with_lime(model, swapped_x[:count], lime_samples, CELL, HIDE_GREY)
lime_maps = lime_heat(explanations)
lime_shares, _ = share_inside(lime_maps, masks)
cam, lime = mean_share_with_heat(cam_maps, masks), mean_share_with_heat(lime_maps, masks)  # (share, area, empty)
print(f"on {count} swapped images, Grad-CAM's heat {maps_location_verdict(*cam, count)}")
print(f"on the same images, LIME's positive weight {maps_location_verdict(*lime, count)}")

shown = swapped_x[:4]
predicted = result.targets[:4]
cams, top = on_one_scale(cam_heat(result.raw[:4], *shown.shape[2:]))
fig, axes = plt.subplots(3, 4, figsize=(10.5, 8.6), layout="constrained")
for column in range(4):
    axes[0, column].imshow(shown[column, 0], cmap="gray", vmin=0, vmax=1)
    axes[0, column].set(xticks=[], yticks=[])
    axes[0, column].set_title(swapped_caption(swapped_y[column], predicted[column]), fontsize=9)
    area = animal_areas[column]
    heat_shown = overlay_heatmap(
        axes[1, column],
        shown[column],
        cams[column],
        panel_heat(cam_shares[column], area, cam_maps[column]),
    )
    lime_overlay(
        axes[2, column],
        shown[column],
        explanations[column].segments,
        explanations[column].mask(num_features=8),
        panel_heat(lime_shares[column], area, lime_maps[column]),
        value_range=(0, 1),
    )
one_scale_colorbar(heat_shown, axes[1], top, "Grad-CAM heat")
axes[0, 0].set_ylabel("swapped test image", fontsize=9)
axes[1, 0].set_ylabel("Grad-CAM of the log-odds", fontsize=9)
axes[2, 0].set_ylabel("LIME, 8 strongest cells\nfor the answer shown", fontsize=9)
fig.suptitle(
    f"{biased.capitalize()} on swapped backgrounds; each panel says where its own heat lies.\nOver all {count} "
    f"swapped images, where the heat lies: Grad-CAM: {maps_place(*cam, count)}; LIME: {maps_place(*lime, count)}",
    fontsize=10,
)
save_figure(fig, settings.out_dir / "shortcut_explanations.png")


# %% [markdown]
# ## 4. Break the accident: train on random backgrounds
# The same network and recipe, trained on images whose background is drawn by a coin toss. Look at
# where its Grad-CAM sits now, and on which part of the animal. If LIME disagrees with Grad-CAM here,
# remember what "hidden" means in this lesson: grey, and the animal itself is grey. How much does
# hiding change the animal's pixels, against the background's? The lesson measures it below.
# %%
random_x, random_y, _ = make_husky_wolf(n_train, background="random", seed=3)
fixed = train_lenet(random_x, random_y, 2, epochs, settings.seed)
fixed_same = accuracy(predict(fixed, same_x), same_y)
fixed_swapped = accuracy(predict(fixed, swapped_x), swapped_y)
print(
    f"trained on random backgrounds: {fixed_same:.1%} (as in training) and {fixed_swapped:.1%} (swapped), "
    f"so the model {shortcut_verdict(fixed_same, fixed_swapped)}"
)
fixed_result = GradCAM(fixed, LAYER).explain(swapped_x[:count], contrast=LOG_ODDS)
fixed_cam_maps = cam_heat(fixed_result.raw, *swapped_x.shape[2:])
fixed_cam_shares, _ = share_inside(fixed_cam_maps, masks)
fixed_cam = mean_share_with_heat(fixed_cam_maps, masks)
fixed_lime = mean_share_with_heat(
    lime_heat(explain_with_lime(fixed, swapped_x[:count], lime_samples, CELL, HIDE_GREY)), masks
)
print(f"its Grad-CAM heat {maps_location_verdict(*fixed_cam, count)}")
print(f"its LIME weight {maps_location_verdict(*fixed_lime, count)}")

fixed_cams, fixed_top = on_one_scale(cam_heat(fixed_result.raw[:4], *shown.shape[2:]))
fig, axes = plt.subplots(1, 4, figsize=(10.5, 3.3), layout="constrained")
for column in range(4):
    heat_shown = overlay_heatmap(
        axes[column],
        shown[column],
        fixed_cams[column],
        f"{swapped_caption(swapped_y[column], fixed_result.targets[column])}\n"
        + panel_heat(fixed_cam_shares[column], animal_areas[column], fixed_cam_maps[column]),
    )
one_scale_colorbar(heat_shown, axes, fixed_top, "Grad-CAM heat")
fig.suptitle(
    "Model trained on random backgrounds, Grad-CAM of the log-odds on one scale.\nOver all "
    f"{count} swapped images, where the heat lies: {maps_place(*fixed_cam, count)}",
    fontsize=10,
)
save_figure(fig, settings.out_dir / "fixed_model_gradcam.png")

# %% [markdown]
# ## 5. What LIME's grey hiding changes, and whether LIME tells the two models apart
# LIME can only see what hiding changes: the mean absolute change |x − grey| of the animal's pixels
# and of the background's on the swapped images explained above. Setting the two models'
# explanations side by side means something only if the first took the shortcut and the second
# learned the task without it (at least 90 % correct with either background); if one of them did
# not, the lesson says so and draws no conclusion from the comparison.
# %%
change = np.abs(swapped_x[:count, 0] - HIDE_GREY)  # what hiding every pixel with grey would change
animal_change, background_change = change[masks].mean(), change[~masks].mean()
hiding = hiding_change_verdict(animal_change, background_change, "the animal", "the background")
print(f"hiding with grey {HIDE_GREY} {hiding}")
fair = "the model trained on random backgrounds"
premise_missing = comparison_premise((same_accuracy, swapped_accuracy), (fixed_same, fixed_swapped))
if premise_missing is None:
    lime_separation = separation_verdict("LIME", biased, *lime[:2], fair, *fixed_lime[:2])
    cam_separation = separation_verdict("Grad-CAM", biased, *cam[:2], fair, *fixed_cam[:2])
    comparison = f"{lime_separation}; {cam_separation}"
else:
    comparison = f"no conclusion from comparing the two models' explanations: {premise_missing}"
print(comparison)

# %%
both_have_heat = max(fixed_cam[2], fixed_lime[2]) < count
fixed_agree = both_have_heat and heat_place(*fixed_cam[:2]) == heat_place(*fixed_lime[:2])
if settings.quick:
    print(
        f"\nWhat we saw: {QUICK_RUN_NOTE}. Its numbers: the model "
        f"{shortcut_verdict(same_accuracy, swapped_accuracy)}; "
        f"Grad-CAM's heat {maps_location_verdict(*cam, count)}; {comparison}."
    )
else:
    print(
        f"\nWhat we saw: {biased} {shortcut_verdict(same_accuracy, swapped_accuracy)}. "
        f"On the swapped images Grad-CAM's heat {maps_location_verdict(*cam, count)}; "
        f"LIME's weight {maps_location_verdict(*lime, count)}. "
        f"Trained without the accident, the same network {shortcut_verdict(fixed_same, fixed_swapped)}; its "
        f"Grad-CAM heat {maps_location_verdict(*fixed_cam, count)}, and LIME "
        + ("agrees" if fixed_agree else "disagrees")
        + f": its weight {maps_location_verdict(*fixed_lime, count)}. Hiding with grey {HIDE_GREY} "
        f"{hiding}. {comparison}."
    )
