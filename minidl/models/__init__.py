"""Small, readable reference models from the deck's architecture slides, sized for small inputs."""

from minidl.models.alexnet import AlexNetMini
from minidl.models.inception import InceptionModule
from minidl.models.lenet import LeNet5
from minidl.models.lenet_gap import LeNet5GAP
from minidl.models.resnet import ResidualBlock, SmallResNet
from minidl.models.unet import AttentionGate, UNet

__all__ = [
    "AlexNetMini",
    "AttentionGate",
    "InceptionModule",
    "LeNet5",
    "LeNet5GAP",
    "ResidualBlock",
    "SmallResNet",
    "UNet",
]
