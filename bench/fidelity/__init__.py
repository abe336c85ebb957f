from dataclasses import dataclass


@dataclass
class Figure:
    label: str
    value: float
    unit: str
    target: str
    met: bool
