#!/bin/sh
# Regenerates Roboto-Medium-subset.ttf, the only font ringmark-render embeds.
#
# Source: Debian package `fonts-roboto-unhinted` (Roboto 2.138, Apache-2.0; see LICENSE beside this script).
# Needs: `apt-get install fonts-roboto-unhinted` and `pip install fonttools` (for pyftsubset).
#
# Coverage (keep in sync with `crates/render/src/font.rs` docs):
#   U+0020-007E  Basic Latin (digits, + ( ) - . / and ASCII letters)
#   U+00A0-00FF  Latin-1 Supplement (Western European letters, NBSP)
#   U+0100-017F  Latin Extended-A (Turkish ı ş ğ İ, Polish, Czech, Hungarian, ...)
#   U+0218-021B  Romanian Ș ș Ț ț (comma below)
#   U+2009 U+202F thin / narrow no-break space, U+2010-2014 dashes, U+2018-201E quotes,
#   U+2022 bullet, U+2026 ellipsis, U+20AC euro, U+2212 minus
# Dropped: hinting (the rasteriser ignores it), GSUB/GPOS/GDEF (ab_glyph does no shaping), glyph names,
# and all name records except family/style/version (the licence travels as the LICENSE file).
set -eu
here=$(dirname "$0")
src=${ROBOTO:-/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Medium.ttf}
pyftsubset "$src" \
  --output-file="$here/Roboto-Medium-subset.ttf" \
  --unicodes="U+0020-007E,U+00A0-00FF,U+0100-017F,U+0218-021B,U+2009,U+202F,U+2010-2014,U+2018-201E,U+2022,U+2026,U+20AC,U+2212" \
  --no-hinting \
  --layout-features='' \
  --drop-tables+=GSUB,GPOS,GDEF \
  --name-IDs=1,2,4,5,6 \
  --no-glyph-names \
  --desubroutinize
ls -l "$here/Roboto-Medium-subset.ttf"
