"""minidl.nn: modules (layers, activations, losses) with PyTorch's names, layouts and defaults."""

from minidl.nn import init
from minidl.nn.activation import (
    ELU,
    GELU,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSigmoid,
    PiecewiseLinear,
    ReLU,
    Sigmoid,
    SiLU,
    Sign,
    Softplus,
    Softsign,
    Step,
    Tanh,
)
from minidl.nn.container import Sequential
from minidl.nn.conv import Conv2d, ConvTranspose2d
from minidl.nn.layers import Dropout, Flatten
from minidl.nn.linear import Linear
from minidl.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from minidl.nn.module import Module
from minidl.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from minidl.nn.padding import ZeroPad2d
from minidl.nn.parameter import Parameter
from minidl.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from minidl.nn.summary import multiply_adds, summary
from minidl.nn.upsampling import Upsample

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Flatten",
    "GELU",
    "Hardtanh",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "NLLLoss",
    "Parameter",
    "PiecewiseLinear",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Sign",
    "Softplus",
    "Softsign",
    "Step",
    "Tanh",
    "Upsample",
    "ZeroPad2d",
    "init",
    "multiply_adds",
    "summary",
]
