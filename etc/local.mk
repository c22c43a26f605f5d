# etc: see the files in this directory
