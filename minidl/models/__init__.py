"""Small, readable reference models from the deck's architecture slides, sized for 28×28 inputs."""
from minidl.models.alexnet import AlexNetMini
from minidl.models.lenet import LeNet5

__all__ = ["AlexNetMini", "LeNet5"]
