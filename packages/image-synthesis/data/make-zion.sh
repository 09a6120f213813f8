#!/bin/sh
# Regenerates the Zion sample rasters of this package from the files they were derived from (see SOURCES.md).
# Usage: sh make-zion.sh NLCD_TIF ZION_DIR   (ZION_DIR holds srtm.tif and landsat_b3/4/5.tif)
# All four outputs share one grid: EPSG:32612, 90 m pixels, 376 x 476, the Landsat scene's extent.
set -eu
nlcd=$1
zion=$2
grid="-t_srs EPSG:32612 -te 301905 4111245 335745 4154085 -tr 90 90 -overwrite -co COMPRESS=DEFLATE -co PREDICTOR=2"
gdalwarp $grid -r mode -dstnodata 255 "$nlcd" zion-landcover.tif
gdalwarp $grid -r bilinear -ot Int16 -dstnodata -32768 "$zion/srtm.tif" zion-dem.tif
gdal_merge.py -separate -o /tmp/zion-bands-30m.tif "$zion/landsat_b5.tif" "$zion/landsat_b4.tif" "$zion/landsat_b3.tif"
gdalwarp $grid -r average -ot UInt16 /tmp/zion-bands-30m.tif zion-landsat.tif
rm -f /tmp/zion-bands-30m.tif
