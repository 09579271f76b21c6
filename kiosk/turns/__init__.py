"""Signed online-turn confirmations: token format, trust list, key store, kiosk-side check."""

from kiosk.turns.check import TurnVerifier, check_turn, turn_message
from kiosk.turns.token import PREFIX, TokenError, decode_token, encode_token
from kiosk.turns.trust import ALG_ED25519, KeyStore, SigningKey, TrustedKey, TrustList

__all__ = [
    "ALG_ED25519",
    "PREFIX",
    "KeyStore",
    "SigningKey",
    "TokenError",
    "TrustList",
    "TrustedKey",
    "TurnVerifier",
    "check_turn",
    "decode_token",
    "encode_token",
    "turn_message",
]
