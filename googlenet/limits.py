"""The limits every spec and config must keep (documented in the README).

They keep a configuration within what the analysis, the diagram and a browser can handle;
values past a limit are refused before any work starts.
"""

MAX_CHANNELS = 65_536  # output channels of any conv, or width of any linear layer
MAX_INPUT_CHANNELS = 4_096
MAX_INPUT_SIZE = 16_384  # input height and width
MAX_CLASSES = 100_000
MAX_STAGES = 16
MAX_ITEMS_PER_STAGE = 160  # layers and blocks in one stage
# layers and blocks in all stages together: bounds the build, the diagram and the caches of a
# shared server (Inception-ResNet-v2 with 128 blocks in each of its three stages has 403)
MAX_ITEMS = 640
MAX_BLOCKS_PER_STAGE = 128  # the block-count knob of one stage
MAX_BRANCHES = 16
MAX_LAYERS_PER_BRANCH = 32
MAX_HEAD_LAYERS = 32
MAX_AUX_HEADS = 8
MAX_KERNEL = 64
MAX_STRIDE = 64
MAX_PADDING = 64
MAX_DILATION = 64
MIN_WIDTH, MAX_WIDTH = 1 / 64, 8.0  # width multiplier
MAX_SCALE = 100.0  # a residual block's scale, either sign
MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 500  # descriptions
# elements of any one layer's weights or output: 2⁴⁸ (a petabyte of fp32) is far past any real
# network and far inside what PyTorch can allocate even on the meta device (2⁶³ bytes)
MAX_ELEMENTS = 2**48
MAX_CONFIG_BYTES = 1_000_000  # an uploaded or --config JSON file
MAX_JSON_DEPTH = 12
