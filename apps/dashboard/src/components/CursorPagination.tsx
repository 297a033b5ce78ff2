import ChevronLeftIcon from '@mui/icons-material/ChevronLeft';
import ChevronRightIcon from '@mui/icons-material/ChevronRight';
import { Box, IconButton, Typography } from '@mui/material';
import { useListContext } from 'react-admin';

/**
 * Herald lists are cursor-paginated: there is no total, only "is there more".
 * So: the rows shown, and newer/older page buttons (hidden when one page holds all).
 */
export const CursorPagination = () => {
  const { page, perPage, data, hasNextPage, hasPreviousPage, setPage, isPending } = useListContext();
  if (isPending || !data) return null;
  if (!hasNextPage && !hasPreviousPage) return null;
  const from = (page - 1) * perPage + 1;
  const to = from + data.length - 1;
  return (
    <Box
      component="nav"
      aria-label="Pagination"
      sx={{ display: 'flex', alignItems: 'center', justifyContent: 'flex-end', gap: 1, py: 1, px: 2 }}
    >
      <Typography variant="body2" color="text.secondary">
        {data.length > 0 ? `${from}–${to}` : 'No more rows'}
      </Typography>
      <IconButton size="small" aria-label="Previous page" disabled={!hasPreviousPage} onClick={() => setPage(page - 1)}>
        <ChevronLeftIcon />
      </IconButton>
      <IconButton size="small" aria-label="Next page" disabled={!hasNextPage} onClick={() => setPage(page + 1)}>
        <ChevronRightIcon />
      </IconButton>
    </Box>
  );
};
