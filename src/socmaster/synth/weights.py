"""Approximate relative sizes of the forces (roughly their officer numbers, rounded).

Approximate public figures used only to spread synthetic threats in proportion to force size.
They are not official statistics and are not used for anything else.
"""

FORCE_WEIGHTS = {
    "force-metropolitan": 34000, "force-west-midlands": 8000, "force-greater-manchester": 8000,
    "force-west-yorkshire": 6000, "force-thames-valley": 5000, "force-merseyside": 4000,
    "force-hampshire-and-isle-of-wight": 3600, "force-kent": 4000, "force-essex": 3800,
    "force-northumbria": 3700, "force-lancashire": 3400, "force-south-wales": 3500,
    "force-avon-and-somerset": 3200, "force-devon-and-cornwall": 3600, "force-sussex": 3200,
    "force-south-yorkshire": 3100, "force-british-transport-police": 3100, "force-surrey": 2300,
    "force-nottinghamshire": 2400, "force-leicestershire": 2300, "force-west-mercia": 2500,
    "force-humberside": 2200, "force-hertfordshire": 2300, "force-staffordshire": 1900,
    "force-derbyshire": 2000, "force-cheshire": 2300, "force-cleveland": 1500, "force-north-yorkshire": 1600,
    "force-north-wales": 1600, "force-gwent": 1500, "force-northamptonshire": 1400, "force-norfolk": 1800,
    "force-suffolk": 1400, "force-cambridgeshire": 1700, "force-bedfordshire": 1400, "force-lincolnshire": 1200,
    "force-dorset": 1400, "force-wiltshire": 1100, "force-gloucestershire": 1200, "force-durham": 1300,
    "force-cumbria": 1300, "force-dyfed-powys": 1300, "force-warwickshire": 1000, "force-city-of-london": 1000,
}
DEFAULT_FORCE_WEIGHT = 1500
