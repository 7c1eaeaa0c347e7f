"""minidl studio: the deck's three web demos served locally by minidl — Draw (an MNIST pad with
saliency, Grad-CAM, Grad-CAM++ and LIME), Playground (an MLP on 2-D data, trained live) and
ConvNet (LeNet-5 trained live). Start it with `python -m minidl.studio`; it needs the `studio`
extra (Starlette, uvicorn, websockets): pip install 'minidl[studio]'.

Modules: app (routes, input checks), origins (which pages and Hosts it serves), sessions (live
training over WebSockets, capped), draw, playground and convnet (the models behind each page),
preprocess (drawings made like MNIST), encoding (maps as bytes, JSON the browser parses), weights
(the shipped LeNet-5 and how it was trained); static/ holds the pages, one HTML file and one
JavaScript module each.
"""
