"""The neural model: DSAE (Li & Mandt, ICML 2018) as a learned codec, its LSTM baselines, training, datasets.

Knows nothing of files, containers or bytes: it hands out integer symbols and discretised entropy
parameters (see coding.py); codec/ turns them into bitstreams.
"""
import warnings

# compressai decorates helpers with torch.jit.script, which torch >= 2.10 deprecates loudly on import.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=FutureWarning)
