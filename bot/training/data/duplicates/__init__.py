"""Find every copy of a photograph among labelled images, however it was changed.

CP-AnemiC files one photograph under several IDs: as identical files, re-encoded, shifted or
re-cut with another hand-drawn mask, resized, turned by quarter turns and mirrored, often with
other Hb values and hospitals. Perceptual hashes miss crops and shifts, so copies are found by
alignment:

1. identical files (sha256) and identical decoded pixels are merged first;
2. candidate pairs: each image's nearest neighbours by colour (`candidates`), and every pair
   sharing exact 8x8 pixel blocks at one offset in any of the eight turns (`exact`);
3. each candidate is aligned by the shared blocks, by laying frames of the same shape on each
   other, and by ORB keypoints matched with RANSAC on the image and its mirror (`features`);
   close fits are refined by ECC (`align.refine`);
4. a pair is one photograph when the mean absolute RGB difference over the conjunctiva both
   cover is at most `align.RESIDUAL_MAX` and they share at least `align.MIN_OVERLAP` of it;
5. groups are the connected components of these links (`groups`).

Everything runs in memory; nothing is cached on disk.
"""

from bot.training.data.duplicates.align import KINDS, RESIDUAL_MAX, Kind
from bot.training.data.duplicates.finder import Match, Scan
from bot.training.data.duplicates.groups import Grouping, Link, group

__all__ = ["KINDS", "RESIDUAL_MAX", "Grouping", "Kind", "Link", "Match", "Scan", "group"]
