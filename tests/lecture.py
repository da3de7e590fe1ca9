"""The D2L lecture's GoogLeNet, written by hand in plain PyTorch as the lecture writes it: the
independent source for the d2l preset's structure, shapes, counts and c1–c4 widths."""

from __future__ import annotations

import torch
from torch import nn


class LectureInception(nn.Module):
    """d2l's Inception block, as the lecture writes it."""

    def __init__(self, in_c, c1, c2, c3, c4):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_c, c1, 1)
        self.p2_1 = nn.Conv2d(in_c, c2[0], 1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.p3_1 = nn.Conv2d(in_c, c3[0], 1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.p4_1 = nn.MaxPool2d(3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_c, c4, 1)

    def forward(self, x):
        r = torch.relu
        return torch.cat(
            (r(self.p1_1(x)), r(self.p2_2(r(self.p2_1(x)))), r(self.p3_2(r(self.p3_1(x)))), r(self.p4_2(self.p4_1(x)))), 1
        )


# the lecture's blocks are unnamed; these are the paper's (and the d2l preset's) names, in order
BLOCK_NAMES = ("inception3a", "inception3b", "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "inception5a", "inception5b")


def lecture_network() -> tuple[nn.Sequential, dict[str, LectureInception]]:
    """The lecture's GoogLeNet Sequential, built by hand in plain PyTorch on the meta device,
    and its nine Inception blocks by name, in order."""
    with torch.device("meta"):
        b1 = nn.Sequential(nn.Conv2d(1, 64, 7, stride=2, padding=3), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
        b2 = nn.Sequential(nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
        b3 = nn.Sequential(LectureInception(192, 64, (96, 128), (16, 32), 32), LectureInception(256, 128, (128, 192), (32, 96), 64), nn.MaxPool2d(3, stride=2, padding=1))
        b4 = nn.Sequential(
            LectureInception(480, 192, (96, 208), (16, 48), 64), LectureInception(512, 160, (112, 224), (24, 64), 64),
            LectureInception(512, 128, (128, 256), (24, 64), 64), LectureInception(512, 112, (144, 288), (32, 64), 64),
            LectureInception(528, 256, (160, 320), (32, 128), 128), nn.MaxPool2d(3, stride=2, padding=1),
        )
        b5 = nn.Sequential(
            LectureInception(832, 256, (160, 320), (32, 128), 128), LectureInception(832, 384, (192, 384), (48, 128), 128),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        )
        lecture = nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))
    blocks = [*b3[:2], *b4[:5], *b5[:2]]
    assert len(blocks) == len(BLOCK_NAMES)
    return lecture, dict(zip(BLOCK_NAMES, blocks))
