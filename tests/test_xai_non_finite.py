"""Every explainer refuses NaN and infinity — in the images and in the model's scores — with a
ValueError that says where, instead of an all-NaN map, an all-zero map or R² = 1."""

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.xai import (
    AnchorExplainer,
    GradCAM,
    GradCAMPlusPlus,
    KernelShapExplainer,
    LimeImageExplainer,
    NeuronShapley,
    concept_sensitivities,
    deletion_auc,
    insertion_auc,
    integrated_gradients,
    saliency,
    shapley_values,
    smoothgrad,
    tcav,
)

pytestmark = pytest.mark.nn


def model():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))


def images_with(value):
    images = np.random.default_rng(0).random((2, 1, 6, 6)).astype(np.float32)
    images[1, 0, 2, 3] = value
    return images


def predict_with(net):
    def predict(batch):
        with minidl.no_grad():
            return net(minidl.tensor(batch)).data

    return predict


BATCH_EXPLAINERS = {
    "saliency": lambda net, x: saliency(net, x),
    "GradCAM": lambda net, x: GradCAM(net, "0")(x),
    "GradCAMPlusPlus": lambda net, x: GradCAMPlusPlus(net, "0")(x),
    "integrated_gradients": lambda net, x: integrated_gradients(net, x, steps=4),
    "smoothgrad": lambda net, x: smoothgrad(net, x, samples=2, seed=0),
    "concept_sensitivities": lambda net, x: concept_sensitivities(net, "0", x, np.ones(72)),
    "tcav": lambda net, x: tcav(net, "0", x, x, [x] * 10),
    "NeuronShapley": lambda net, x: NeuronShapley(net, "0", x, np.zeros(2, np.int64)),
}
IMAGE_EXPLAINERS = {
    "LIME": lambda net, image: LimeImageExplainer().explain(image, predict_with(net), num_samples=10),
    "KernelSHAP": lambda net, image: KernelShapExplainer().explain(image, predict_with(net), num_samples=10),
    "Anchors": lambda net, image: AnchorExplainer().explain(image, predict_with(net), cell_size=3, seed=0),
    "shapley_values": lambda net, image: shapley_values(image, predict_with(net), cell_size=3),
    "deletion/insertion": lambda net, image: deletion_auc(net, image, np.ones((6, 6))),
}


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("name", BATCH_EXPLAINERS)
def test_batch_explainers_name_the_non_finite_pixel(name, value):
    with pytest.raises(ValueError) as caught:
        BATCH_EXPLAINERS[name](model(), images_with(value))
    assert (
        f"{name}: 1 non-finite value(s) in the images, the first ({value}) at sample 1, channel 0, row 2, "
        "column 3" in str(caught.value)
    )


@pytest.mark.parametrize("name", IMAGE_EXPLAINERS)
def test_single_image_explainers_name_the_non_finite_pixel(name):
    with pytest.raises(ValueError) as caught:
        IMAGE_EXPLAINERS[name](model(), images_with(np.nan)[1])
    assert f"{name}: 1 non-finite value(s) in the image, the first (nan) at channel 0, row 2, column 3" in str(
        caught.value
    )


@pytest.mark.parametrize("name", [n for n in BATCH_EXPLAINERS if n != "tcav"])
def test_batch_explainers_refuse_non_finite_scores(name):
    net = model()
    net[3].bias.data[1] = np.inf
    with pytest.raises(ValueError) as caught:
        BATCH_EXPLAINERS[name](net, images_with(0.5))
    assert "2 non-finite value(s) in the model's scores, the first (inf) at sample 0, class 1" in str(caught.value)


def test_tcav_refuses_non_finite_activations():
    net = model()
    net[0].bias.data[1] = np.nan
    with pytest.raises(ValueError, match=r"tcav: 72 non-finite value\(s\) in the activations of layer '0'"):
        BATCH_EXPLAINERS["tcav"](net, images_with(0.5))


@pytest.mark.parametrize("name", ["LIME", "KernelSHAP", "shapley_values", "Anchors"])
def test_perturbation_explainers_name_the_coalition_with_a_non_finite_score(name):
    image = images_with(0.5)[0]

    def predict(batch):
        scores = np.zeros((len(batch), 2))
        hidden_corner = batch[:, 0, 0, 0] != image[0, 0, 0]
        scores[hidden_corner, 1] = np.nan  # superpixel 0 hidden: the classifier breaks
        return scores

    explain = {
        "LIME": lambda: LimeImageExplainer().explain(image, predict, cell_size=3, num_samples=20, seed=0),
        "KernelSHAP": lambda: KernelShapExplainer().explain(image, predict, cell_size=3, num_samples=20, seed=0),
        "shapley_values": lambda: shapley_values(image, predict, cell_size=3),
        "Anchors": lambda: AnchorExplainer().explain(image, predict, cell_size=3, seed=0),
    }[name]
    with pytest.raises(ValueError) as caught:
        explain()
    message = str(caught.value)
    assert f"{name}: predict_fn returned nan for class 1 of coalition" in message and "visible superpixels" in message
    visible = eval(message.split("visible superpixels ")[1].split(")")[0])
    assert 0 not in visible


@pytest.mark.parametrize("hide_color", [np.nan, np.inf, "grey", True])
@pytest.mark.parametrize("name", ["LIME", "KernelSHAP", "shapley_values", "Anchors"])
def test_perturbation_explainers_refuse_a_hide_color_that_is_not_a_finite_number(name, hide_color):
    image, predict = images_with(0.5)[0], predict_with(model())
    explain = {
        "LIME": lambda: LimeImageExplainer().explain(image, predict, cell_size=3, hide_color=hide_color),
        "KernelSHAP": lambda: KernelShapExplainer().explain(image, predict, cell_size=3, hide_color=hide_color),
        "shapley_values": lambda: shapley_values(image, predict, cell_size=3, hide_color=hide_color),
        "Anchors": lambda: AnchorExplainer().explain(image, predict, cell_size=3, hide_color=hide_color),
    }[name]
    with pytest.raises(ValueError, match=f"hide_color must be a finite number .*, got {hide_color!r}"):
        explain()  # refused before the model is asked, not blamed on its scores


def test_deletion_and_insertion_refuse_a_non_finite_saliency_map():
    saliency_map = np.ones((6, 6))
    saliency_map[4, 1] = np.nan
    for measure in (deletion_auc, insertion_auc):
        with pytest.raises(
            ValueError,
            match=r"1 non-finite value\(s\) in the saliency map, the first \(nan\) at "
            "row 4, column 1",
        ):
            measure(model(), images_with(0.5)[0], saliency_map)
