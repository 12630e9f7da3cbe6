# SPDX-License-Identifier: MIT
"""The imported module of py_shapes.py: a function whose frame must be named py_shapes_mod."""


def crunch(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total
