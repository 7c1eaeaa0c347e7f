"""LIME of a two-class model's log-odds, as the black-box and rules lessons run it on the
Husky-vs-Wolf images: the log-odds carries all of the decision's evidence (TwoClassLogOdds), and
hidden superpixels show one colour (grey there: neither snow nor grass)."""

import numpy as np

from lessons.trained_models import TwoClassLogOdds
from lessons.training import predict
from minidl.nn import Module
from minidl.xai import LimeExplanation, LimeImageExplainer

HIDE_GREY = 0.5  # the Husky-vs-Wolf images' hide colour: neither snow nor grass


def explain_with_lime(
    model: Module, images: np.ndarray, num_samples: int, cell_size: int, hide_color: float
) -> list[LimeExplanation]:
    """LIME (seed 0) of the log-odds of each image's predicted class, superpixels hidden with hide_color."""
    log_odds = TwoClassLogOdds(model)
    return [
        LimeImageExplainer().explain(
            image,
            lambda batch: predict(log_odds, batch),
            cell_size=cell_size,
            hide_color=hide_color,
            num_samples=num_samples,
            seed=0,
        )
        for image in images
    ]
