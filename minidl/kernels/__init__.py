"""Hot loops of the convolution path, kept apart from the graph: im2col/col2im and pooling windows."""
