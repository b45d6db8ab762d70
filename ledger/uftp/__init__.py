"""USEF UFTP endpoint of the platform (issue 15), built on Enexis' ``shapeshifter-uftp``.

The platform speaks the DSO side of UFTP towards aggregators (BSP organisations): it sends
FlexRequest (a need), FlexOrder (an award activated) and FlexSettlement (a settlement record),
and takes FlexOffer (bids), FlexOrderResponse (the activation's acknowledgement) and
FlexSettlementResponse (accept or dispute). What a message causes goes through the same
services, operations and contracts as the JSON API. See ``docs/uftp.md``.
"""
