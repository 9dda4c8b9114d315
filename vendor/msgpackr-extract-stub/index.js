// msgpackr catches this and uses its JavaScript string extractor (see package.json).
throw new Error('msgpackr-extract native acceleration is not shipped with axon');
