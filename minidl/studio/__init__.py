"""minidl studio: the deck's three web demos served locally by minidl — Draw (an MNIST pad with
saliency, Grad-CAM, Grad-CAM++ and LIME), Playground (an MLP on 2-D data, trained live) and
ConvNet (LeNet-5 trained live). Start it with `python -m minidl.studio`; it needs the `studio`
extra (Starlette and uvicorn): pip install 'minidl[studio]'."""
