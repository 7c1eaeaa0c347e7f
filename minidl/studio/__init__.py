"""minidl studio: the deck's web demos served locally by minidl — Draw (an MNIST pad with six
explanations: saliency, Grad-CAM, Grad-CAM++, Integrated Gradients, LIME and Kernel SHAP),
Playground (an MLP on 2-D data, trained live), ConvNet (LeNet-5 trained live) and Black Box (the
Husky-vs-Wolf trust experiment of Ribeiro et al. 2016 as a class poll). Start it with
`python -m minidl.studio`; it needs the `studio` extra (Starlette, uvicorn, websockets):
pip install 'minidl[studio]'.

Modules: app (routes, input checks), origins (which pages and Hosts it serves), sessions (live
training over WebSockets, capped), draw, playground, convnet and blackbox (the models behind each
page), poll (the Black Box answers in SQLite) and rate_limit (submissions per browser), preprocess
(drawings made like MNIST), encoding (maps as bytes, JSON the browser parses), weights (the shipped
models and how they were trained); static/ holds the pages, one HTML file and one JavaScript
module each.
"""
